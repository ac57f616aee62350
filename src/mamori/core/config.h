#pragma once
// core/config: reading `mamori.toml`. Each module parses its own keys through a ConfigTable,
// which turns every problem into "FILE:LINE: key 'name': what is wrong" and collects all of
// them, so an operator fixes a config in one pass. There is no global config object.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/time.h"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace mamori {

class ConfigFile {
 public:
  static Result<ConfigFile> load(const std::string& path);
  static Result<ConfigFile> parse(std::string_view text, const std::string& source_name);

  ConfigFile(ConfigFile&&) noexcept;
  ConfigFile& operator=(ConfigFile&&) noexcept;
  ~ConfigFile();

  const std::string& path() const { return path_; }
  // A path in the config is relative to the config file's directory.
  std::string resolve_path(std::string_view value) const;

  const toml::table& root() const { return *root_; }

 private:
  ConfigFile(std::string path, std::unique_ptr<toml::table> root);
  std::string path_;
  std::unique_ptr<toml::table> root_;
};

// Typed access to one table of a config file with error collection.
class ConfigTable {
 public:
  // `section` is "" for the top level, or a dotted name like "retention".
  ConfigTable(const ConfigFile& file, std::string section);

  std::optional<std::string> string(std::string_view key, bool required = false);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max,
                                      bool required = false);
  std::optional<bool> boolean(std::string_view key);
  // A duration as "30s"/"5m"/"2h" or an integer number of seconds.
  std::optional<Duration> duration(std::string_view key, bool required = false);
  std::optional<std::vector<std::string>> string_list(std::string_view key, bool required = false);
  // A path, resolved relative to the config file.
  std::optional<std::string> path(std::string_view key, bool required = false);

  // Records an error about `key` (with its source line when the key exists).
  void error(std::string_view key, std::string_view message);
  // Keys present in the table that no one asked for are errors (typos must not pass silently).
  void reject_unknown_keys(const std::vector<std::string_view>& also_allowed = {});

  bool ok() const { return errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }
  // All errors joined by newlines, or success.
  Result<void> result() const;

 private:
  std::string location(std::string_view key) const;
  std::string qualified(std::string_view key) const;

  const ConfigFile& file_;
  std::string section_;
  const toml::table* table_ = nullptr;
  std::vector<std::string> seen_;
  std::vector<std::string> errors_;
};

}  // namespace mamori
