#include "mamori/core/config.h"

#include <algorithm>
#include <filesystem>

#include <toml++/toml.h>

namespace mamori {

ConfigFile::ConfigFile(std::string path, std::unique_ptr<toml::table> root)
    : path_(std::move(path)), root_(std::move(root)) {}
ConfigFile::ConfigFile(ConfigFile&&) noexcept = default;
ConfigFile& ConfigFile::operator=(ConfigFile&&) noexcept = default;
ConfigFile::~ConfigFile() = default;

Result<ConfigFile> ConfigFile::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return fail("{}: no such configuration file", path);
  }
  try {
    auto table = toml::parse_file(path);
    return ConfigFile(path, std::make_unique<toml::table>(std::move(table)));
  } catch (const toml::parse_error& e) {
    return fail("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column,
                e.description());
  }
}

Result<ConfigFile> ConfigFile::parse(std::string_view text, const std::string& source_name) {
  try {
    auto table = toml::parse(text, source_name);
    return ConfigFile(source_name, std::make_unique<toml::table>(std::move(table)));
  } catch (const toml::parse_error& e) {
    return fail("{}:{}:{}: {}", source_name, e.source().begin.line, e.source().begin.column,
                e.description());
  }
}

std::string ConfigFile::resolve_path(std::string_view value) const {
  std::filesystem::path p(value);
  if (p.is_absolute()) return p.string();
  return (std::filesystem::path(path_).parent_path() / p).lexically_normal().string();
}

ConfigTable::ConfigTable(const ConfigFile& file, std::string section)
    : file_(file), section_(std::move(section)) {
  if (section_.empty()) {
    table_ = &file.root();
    return;
  }
  const auto node = file.root().at_path(section_);
  if (!node) return;  // an absent section behaves as empty; required keys then report errors
  table_ = node.as_table();
  if (!table_) errors_.push_back(fmt::format("{}: '{}' must be a table", file.path(), section_));
}

std::string ConfigTable::qualified(std::string_view key) const {
  return section_.empty() ? std::string(key) : section_ + "." + std::string(key);
}

std::string ConfigTable::location(std::string_view key) const {
  if (table_) {
    if (const auto* node = table_->get(key)) {
      return fmt::format("{}:{}", file_.path(), node->source().begin.line);
    }
  }
  return file_.path();
}

void ConfigTable::error(std::string_view key, std::string_view message) {
  errors_.push_back(fmt::format("{}: key '{}': {}", location(key), qualified(key), message));
}

namespace {
const toml::node* find(const toml::table* table, std::string_view key) {
  return table ? table->get(key) : nullptr;
}
}  // namespace

std::optional<std::string> ConfigTable::string(std::string_view key, bool required) {
  seen_.emplace_back(key);
  const auto* node = find(table_, key);
  if (!node) {
    if (required) error(key, "is required");
    return std::nullopt;
  }
  if (const auto* value = node->as_string()) return value->get();
  error(key, "must be a string");
  return std::nullopt;
}

std::optional<std::int64_t> ConfigTable::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max, bool required) {
  seen_.emplace_back(key);
  const auto* node = find(table_, key);
  if (!node) {
    if (required) error(key, "is required");
    return std::nullopt;
  }
  const auto* value = node->as_integer();
  if (!value) {
    error(key, "must be an integer");
    return std::nullopt;
  }
  if (value->get() < min || value->get() > max) {
    error(key, fmt::format("must be between {} and {} (got {})", min, max, value->get()));
    return std::nullopt;
  }
  return value->get();
}

std::optional<bool> ConfigTable::boolean(std::string_view key) {
  seen_.emplace_back(key);
  const auto* node = find(table_, key);
  if (!node) return std::nullopt;
  if (const auto* value = node->as_boolean()) return value->get();
  error(key, "must be true or false");
  return std::nullopt;
}

std::optional<Duration> ConfigTable::duration(std::string_view key, bool required) {
  seen_.emplace_back(key);
  const auto* node = find(table_, key);
  if (!node) {
    if (required) error(key, "is required");
    return std::nullopt;
  }
  if (const auto* value = node->as_integer()) {
    if (value->get() < 0) {
      error(key, "must not be negative");
      return std::nullopt;
    }
    return Duration::seconds(value->get());
  }
  if (const auto* value = node->as_string()) {
    auto parsed = parse_duration(value->get());
    if (!parsed) {
      error(key, parsed.error().message);
      return std::nullopt;
    }
    return *parsed;
  }
  error(key, "must be a duration such as \"30s\", \"5m\" or \"2h\"");
  return std::nullopt;
}

std::optional<std::vector<std::string>> ConfigTable::string_list(std::string_view key,
                                                                 bool required) {
  seen_.emplace_back(key);
  const auto* node = find(table_, key);
  if (!node) {
    if (required) error(key, "is required");
    return std::nullopt;
  }
  const auto* array = node->as_array();
  if (!array) {
    error(key, "must be an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& element : *array) {
    const auto* value = element.as_string();
    if (!value) {
      error(key, "must be an array of strings");
      return std::nullopt;
    }
    out.push_back(value->get());
  }
  return out;
}

std::optional<std::string> ConfigTable::path(std::string_view key, bool required) {
  auto value = string(key, required);
  if (!value) return std::nullopt;
  return file_.resolve_path(*value);
}

void ConfigTable::reject_unknown_keys(const std::vector<std::string_view>& also_allowed) {
  if (!table_) return;
  for (const auto& [key, node] : *table_) {
    const std::string_view name = key.str();
    if (section_.empty() && node.is_table()) continue;  // sections belong to other modules
    if (std::find(seen_.begin(), seen_.end(), name) != seen_.end()) continue;
    if (std::find(also_allowed.begin(), also_allowed.end(), name) != also_allowed.end()) continue;
    errors_.push_back(fmt::format("{}:{}: key '{}': unknown key", file_.path(),
                                  node.source().begin.line, qualified(name)));
  }
}

Result<void> ConfigTable::result() const {
  if (errors_.empty()) return {};
  std::string joined;
  for (const auto& e : errors_) {
    if (!joined.empty()) joined += '\n';
    joined += e;
  }
  return fail(Error{joined});
}

}  // namespace mamori
