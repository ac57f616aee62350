#pragma once
// Helpers for the ruleset and matcher tests: a scratch directory that is removed afterwards,
// and loading a ruleset from text plus list files.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/sieve/matchers.h"
#include "mamori/sieve/ruleset.h"

namespace mamori::sieve::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device seed;
    path_ = std::filesystem::temp_directory_path() /
            ("mamori-rules-" + std::to_string(seed()) + std::to_string(seed()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, std::string_view content) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    return file;
  }

 private:
  std::filesystem::path path_;
};

// Parses `text` as "r.toml" with list files looked up in `dir`.
inline Result<Ruleset> parse_in(const TempDir& dir, std::string_view text) {
  return parse_ruleset(text, "r.toml", dir.path());
}

// Parses rules that must be valid; fails the test otherwise.
inline Ruleset must_parse(const TempDir& dir, std::string_view text) {
  auto ruleset = parse_in(dir, text);
  EXPECT_TRUE(ruleset.has_value()) << (ruleset ? "" : ruleset.error().message);
  return ruleset ? std::move(*ruleset) : Ruleset{};
}

inline Rule make_rule(std::string id, RuleKind kind, std::vector<std::string> values = {}) {
  Rule rule;
  rule.id = std::move(id);
  rule.kind = kind;
  rule.values = std::move(values);
  return rule;
}

inline CompiledRuleset must_compile(const Ruleset& ruleset) {
  auto compiled = CompiledRuleset::compile(ruleset);
  if (!compiled) ADD_FAILURE() << compiled.error().message;
  return std::move(compiled.value());
}

inline std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace mamori::sieve::testing
