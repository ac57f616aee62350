#pragma once
// cli/identity_options: the options by which a governed command learns who acts — a user and
// a password or API token read from a file (else the environment), never from the command line.

#include <CLI/CLI.hpp>

namespace mamori::cli {

// `commands` has std::optional<std::string> user, password_file and token_file.
template <class Commands>
void add_identity_options(CLI::App* command, Commands& commands) {
  command->add_option("--user", commands.user, "Who acts / 利用者");
  command->add_option("--password-file", commands.password_file,
                      "File whose first line is the password (else MAMORI_PASSWORD)");
  command->add_option("--token-file", commands.token_file,
                      "File whose first line is an API token (else MAMORI_TOKEN)");
}

}  // namespace mamori::cli
