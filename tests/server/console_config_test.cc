// The [console] section of mamori.toml (server/console_config.h): defaults relative to the
// configuration file, every error naming FILE:LINE and the key, and the self-signed certificate
// made on first start.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "mamori/core/config.h"
#include "mamori/server/console_config.h"
#include "support/temp_dir.h"

namespace mamori::server {
namespace {

namespace fs = std::filesystem;

Result<ConsoleConfig> parse(const std::string& text) {
  auto file = ConfigFile::parse(text, "/etc/mamori/mamori.toml");
  if (!file) return fail(file.error());
  return load_console_config(*file);
}

TEST(ConsoleConfig, DefaultsAreLoopbackAndRelativeToTheConfigFile) {
  auto config = parse("[console]\n");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->address, "127.0.0.1");
  EXPECT_EQ(config->port, 8443);
  EXPECT_EQ(config->certificate, "/etc/mamori/tls/console.crt");
  EXPECT_EQ(config->private_key, "/etc/mamori/tls/console.key");
  EXPECT_EQ(config->static_dir, "/etc/mamori/web/dist");
  EXPECT_EQ(config->session_ttl_minutes, 480);
  EXPECT_EQ(config->max_body_bytes, std::size_t{1} << 20);
  EXPECT_EQ(config->login_attempts_per_minute, 5);
  EXPECT_TRUE(check_console_config(*config));
}

TEST(ConsoleConfig, ReadsEveryKey) {
  auto config = parse(
      "[console]\naddress = \"::1\"\nport = 0\ncertificate = \"c.pem\"\nprivate_key = "
      "\"/k.pem\"\nstatic_dir = \"ui\"\nsession_ttl_minutes = 30\nmax_body_bytes = 2048\n"
      "login_attempts_per_minute = 3\nthreads = 2\n");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->address, "::1");
  EXPECT_EQ(config->port, 0);
  EXPECT_EQ(config->certificate, "/etc/mamori/c.pem");
  EXPECT_EQ(config->private_key, "/k.pem");
  EXPECT_EQ(config->static_dir, "/etc/mamori/ui");
  EXPECT_EQ(config->session_ttl_minutes, 30);
  EXPECT_EQ(config->max_body_bytes, 2048u);
  EXPECT_EQ(config->login_attempts_per_minute, 3);
  EXPECT_EQ(config->threads, 2);
}

TEST(ConsoleConfig, ErrorsNameFileLineAndKeyAllAtOnce) {
  auto config = parse(
      "[console]\nport = 70000\nsession_ttl_minutes = \"long\"\nmax_body_bytes = 10\n"
      "colour = \"blue\"\n");
  ASSERT_FALSE(config);
  const std::string& message = config.error().message;
  EXPECT_NE(message.find("/etc/mamori/mamori.toml:2: key 'console.port'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("/etc/mamori/mamori.toml:3: key 'console.session_ttl_minutes'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("/etc/mamori/mamori.toml:4: key 'console.max_body_bytes'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(":5: key 'console.colour'"), std::string::npos) << message;
}

TEST(ConsoleConfig, SectionIsRequiredAndDetected) {
  auto file = ConfigFile::parse("sensor = \"x\"\n[taxii]\n", "mamori.toml");
  ASSERT_TRUE(file);
  EXPECT_FALSE(has_console_section(*file));
  EXPECT_TRUE(has_section(*file, "taxii"));
  EXPECT_FALSE(load_console_config(*file));
}

TEST(ConsoleConfig, CertificateIsMadeOnceAndAHalfPairIsRefused) {
  test_support::TempDir dir("mamori-console-config");
  ConsoleConfig config;
  config.certificate = dir.file("tls/console.crt");
  config.private_key = dir.file("tls/console.key");
  auto made = ensure_console_certificate(config);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_TRUE(*made);
  EXPECT_TRUE(fs::exists(config.certificate));
  const auto permissions = fs::status(config.private_key).permissions();
  EXPECT_EQ(permissions & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
  auto again = ensure_console_certificate(config);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);

  fs::remove(config.private_key);
  auto half = ensure_console_certificate(config);
  ASSERT_FALSE(half);
  EXPECT_NE(half.error().message.find("console.key"), std::string::npos);
  EXPECT_TRUE(fs::exists(config.certificate));  // never replaced silently
}

}  // namespace
}  // namespace mamori::server
