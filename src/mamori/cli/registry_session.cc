#include "mamori/cli/registry_session.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "mamori/governance/signed_document.h"
#include "mamori/registry/sqlite_registry.h"
#include "mamori/site/registry_access.h"

namespace mamori::cli {
namespace {

Error not_for(const RegistrySession& session, std::string_view organisation_id) {
  return Error{fmt::format(
      "refused / 拒否: {} may not act for organisation '{}' / この組織の代理はできません",
      session.actor(), governance::detail::printable(organisation_id))};
}

}  // namespace

bool RegistrySession::government() const { return site::is_government(user); }

std::string RegistrySession::actor() const {
  return fmt::format("user '{}' ({})", user.name, governance::to_string(user.role));
}

Result<RegistrySession> open_session(const RegistryCommands& args, site::ActionName action) {
  auto credentials = site::gather_credentials(args.user, args.password_file, args.token_file);
  if (!credentials) return fail(credentials.error());
  auto file = ConfigFile::load(args.config);
  if (!file) return fail(file.error());
  auto config = registry::load_registry_config(*file);
  if (!config) return fail(config.error());
  auto installation = site::open_installation(args.config);
  if (!installation) return fail(installation.error());

  auto authentication = site::authenticate(**installation, *credentials, action);
  if (!authentication) return fail(authentication.error());
  if (!authentication->user) return fail("refused / 拒否: {}", authentication->message);
  const governance::User& user = *authentication->user;
  if (user.disabled) {
    return fail("refused / 拒否: user '{}' is disabled / 利用者は無効化されています", user.name);
  }
  if (user.role == governance::Role::overseer) {
    return fail(
        "refused / 拒否: user '{}' (overseer) has no access to the registry / 監理委員会の役割では"
        "登録情報を扱えません",
        user.name);
  }
  auto storage = registry::open_sqlite_registry(config->path);
  if (!storage) return fail(storage.error());

  RegistrySession session;
  session.installation = std::move(*installation);
  session.config = std::move(*config);
  session.storage = std::move(*storage);
  session.user = user;
  session.now = SystemClock().now();
  return session;
}

Result<void> require_government(const RegistrySession& session, std::string_view what) {
  if (session.government()) return {};
  return fail("refused / 拒否: {} may not {}: government roles (analyst, admin) only",
              session.actor(), what);
}

Result<void> require_admin(const RegistrySession& session, std::string_view what) {
  if (session.user.role == governance::Role::admin) return {};
  return fail("refused / 拒否: {} may not {}: admin only", session.actor(), what);
}

Result<registry::Organisation> check_read(RegistrySession& session,
                                          std::string_view organisation_id) {
  auto found = session.storage->organisation(organisation_id);
  if (!found) return fail(found.error());
  if (session.government()) {
    if (!*found) {
      return fail("organisation '{}' is not registered",
                  governance::detail::printable(organisation_id));
    }
    return **found;
  }
  // Unknown and foreign look the same to an operator.
  if (!*found || !site::may_see(session.user, **found)) {
    return fail(not_for(session, organisation_id));
  }
  return **found;
}

Result<registry::Organisation> check_file(RegistrySession& session,
                                          std::string_view organisation_id) {
  if (session.government()) {
    return fail(
        "refused / 拒否: {} may not file for organisation '{}': filings and reports are "
        "submitted by the organisation's operator users",
        session.actor(), governance::detail::printable(organisation_id));
  }
  auto organisation = check_read(session, organisation_id);
  if (!organisation) return fail(organisation.error());
  if (!site::may_file(session.user, *organisation)) return fail(not_for(session, organisation_id));
  return organisation;
}

Result<std::vector<registry::Organisation>> visible_organisations(
    RegistrySession& session, const std::optional<std::string>& org) {
  if (org) {
    auto one = check_read(session, *org);
    if (!one) return fail(one.error());
    return std::vector<registry::Organisation>{std::move(*one)};
  }
  return site::visible_organisations(*session.storage, session.user);
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("{}: cannot open the file", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail("{}: cannot read the file", path);
  return text.str();
}

bool is_json_file(std::string_view path) {
  if (path.size() < 5) return false;
  std::string tail(path.substr(path.size() - 5));
  std::ranges::transform(tail, tail.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return tail == ".json";
}

Result<Timestamp> as_of(const RegistryCommands& args, const RegistrySession& session) {
  if (!args.as_of) return session.now;
  auto t = parse_rfc3339(*args.as_of);
  if (!t) return fail("--as-of: {}", t.error().message);
  return *t;
}

void print_json(const nlohmann::json& json) {
  std::cout << json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

int report_error(const RegistryCommands& args, const Error& error) {
  std::fprintf(stderr, "mamori %s: %s\n", args.name.c_str(), error.message.c_str());
  return kExitError;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::uint32_t cp = byte;
    std::size_t length = 1;
    if (byte >= 0xF0) {
      length = 4;
      cp = byte & 0x07U;
    } else if (byte >= 0xE0) {
      length = 3;
      cp = byte & 0x0FU;
    } else if (byte >= 0xC0) {
      length = 2;
      cp = byte & 0x1FU;
    }
    for (std::size_t k = 1; k < length && i + k < text.size(); ++k) {
      cp = (cp << 6U) | (static_cast<unsigned char>(text[i + k]) & 0x3FU);
    }
    i += length;
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
                      (cp >= 0x20000 && cp <= 0x3FFFD);
    width += wide ? 2 : 1;
  }
  return width;
}

std::string clipped(std::string_view text, std::size_t columns) {
  if (display_width(text) <= columns || columns == 0) return std::string(text);
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = 1;
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0xF0) {
      length = 4;
    } else if (byte >= 0xE0) {
      length = 3;
    } else if (byte >= 0xC0) {
      length = 2;
    }
    const std::string_view next = text.substr(i, length);
    if (display_width(out) + display_width(next) + 1 > columns) break;
    out += next;
    i += length;
  }
  return out + "…";
}

TextTable::TextTable(std::vector<std::string> headings) { rows_.push_back(std::move(headings)); }

void TextTable::add(std::vector<std::string> row) {
  row.resize(rows_.front().size());
  // One line per row: line breaks in filed text would break the columns.
  for (auto& cell : row) std::ranges::replace(cell, '\n', ' ');
  rows_.push_back(std::move(row));
}

void TextTable::print() const {
  std::vector<std::size_t> widths(rows_.front().size(), 0);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], display_width(row[c]));
    }
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - display_width(row[c]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  std::fputs(out.c_str(), stdout);
}

}  // namespace mamori::cli
