#include "mamori/server/console_config.h"

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <toml++/toml.h>

#include "mamori/server/tls_certificate.h"

namespace mamori::server {

bool has_section(const ConfigFile& file, std::string_view name) {
  const auto node = file.root().at_path(name);
  return node && node.is_table();
}

bool has_console_section(const ConfigFile& file) { return has_section(file, "console"); }

Result<ConsoleConfig> load_console_config(const ConfigFile& file) {
  if (!has_console_section(file)) {
    return fail("{}: [console] section is missing / [console] の設定がありません", file.path());
  }
  ConsoleConfig config;
  ConfigTable table(file, "console");
  if (auto v = table.string("address")) {
    if (v->empty()) {
      table.error("address", "must not be empty");
    } else {
      config.address = *v;
    }
  }
  if (auto v = table.integer("port", 0, 65535)) config.port = static_cast<int>(*v);
  config.certificate = table.path("certificate").value_or(file.resolve_path("tls/console.crt"));
  config.private_key = table.path("private_key").value_or(file.resolve_path("tls/console.key"));
  config.static_dir = table.path("static_dir").value_or(file.resolve_path("web/dist"));
  if (auto v = table.integer("session_ttl_minutes", 1, std::int64_t{7} * 24 * 60)) {
    config.session_ttl_minutes = static_cast<int>(*v);
  }
  if (auto v = table.integer("max_body_bytes", 1024, std::int64_t{64} << 20)) {
    config.max_body_bytes = static_cast<std::size_t>(*v);
  }
  if (auto v = table.integer("login_attempts_per_minute", 1, 1000)) {
    config.login_attempts_per_minute = static_cast<int>(*v);
  }
  if (auto v = table.integer("threads", 1, 1024)) config.threads = static_cast<int>(*v);
  table.reject_unknown_keys();
  if (!table.ok()) return fail(table.result().error());
  if (config.certificate == config.private_key) {
    table.error("private_key", "must be a different file from certificate");
    return fail(table.result().error());
  }
  return config;
}

Result<void> check_console_config(const ConsoleConfig& config) {
  if (config.address.empty()) return fail("address must not be empty");
  if (config.port < 0 || config.port > 65535) return fail("port {} is out of range", config.port);
  if (config.certificate.empty() || config.private_key.empty()) {
    return fail("certificate and private_key must be set");
  }
  if (config.session_ttl_minutes < 1) return fail("session_ttl_minutes must be positive");
  if (config.max_body_bytes == 0) return fail("max_body_bytes must be positive");
  if (config.login_attempts_per_minute < 1) {
    return fail("login_attempts_per_minute must be positive");
  }
  if (config.threads < 1) return fail("threads must be positive");
  return {};
}

Result<bool> ensure_console_certificate(const ConsoleConfig& config) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool have_cert = fs::exists(config.certificate, ec);
  const bool have_key = fs::exists(config.private_key, ec);
  if (have_cert && have_key) return false;
  if (have_cert != have_key) {
    return fail(
        "console: '{}' exists but '{}' does not: give both the certificate and its private key, "
        "or neither to have one made / 証明書と秘密鍵の片方がありません",
        have_cert ? config.certificate : config.private_key,
        have_cert ? config.private_key : config.certificate);
  }
  for (const std::string& path : {config.certificate, config.private_key}) {
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) {
      fs::create_directories(parent, ec);
      if (ec) return fail("console: cannot create the directory '{}'", parent.string());
    }
  }
  std::vector<std::string> hosts;
  if (config.address != "0.0.0.0" && config.address != "::" && config.address != "localhost" &&
      config.address != "127.0.0.1" && config.address != "::1") {
    hosts.push_back(config.address);
  }
  hosts.insert(hosts.end(), {"localhost", "127.0.0.1", "::1"});
  if (auto written = write_self_signed_certificate(config.certificate, config.private_key, hosts);
      !written) {
    return fail("console: {}", written.error().message);
  }
  return true;
}

}  // namespace mamori::server
