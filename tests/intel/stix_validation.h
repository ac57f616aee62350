#pragma once
// Test support: runs tools/stix-validate.mjs (ajv over the OASIS STIX 2.1 schemas in
// data/stix2.1-schemas) on bundle files. It fails the test — never skips it — when node or the
// npm packages are missing: the acceptance criterion must not pass by not running
// (scripts/setup installs nodejs and runs `npm ci`).

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mamori::intel::testing {

struct StixValidation {
  int exit_code = -1;  // 0 valid, 1 invalid, 2 usage or I/O error; -1 not run
  std::string output;
};

inline StixValidation validate_stix_files(const std::vector<std::filesystem::path>& files,
                                          const std::filesystem::path& scratch) {
  namespace fs = std::filesystem;
  const fs::path source_dir = MAMORI_SOURCE_DIR;
  StixValidation result;
  if (std::system("command -v node >/dev/null 2>&1") != 0) {
    ADD_FAILURE() << "node is not on PATH: run scripts/setup (installs nodejs and runs npm ci)";
    return result;
  }
  if (!fs::exists(source_dir / "node_modules" / "ajv" / "package.json") ||
      !fs::exists(source_dir / "node_modules" / "ajv-formats" / "package.json")) {
    ADD_FAILURE() << "ajv is not installed in " << source_dir / "node_modules"
                  << ": run scripts/setup (npm ci)";
    return result;
  }
  const fs::path log = scratch / "validate.log";
  std::string command = "node '" + (source_dir / "tools" / "stix-validate.mjs").string() + "'";
  for (const auto& file : files) command += " '" + file.string() + "'";
  command += " >'" + log.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(log, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  result.output = buffer.str();
  return result;
}

}  // namespace mamori::intel::testing
