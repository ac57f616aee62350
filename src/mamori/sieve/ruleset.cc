#include "mamori/sieve/ruleset.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>

#include <toml++/toml.h>

#include "mamori/sieve/behaviour_rule.h"
#include "mamori/sieve/digest.h"
#include "mamori/sieve/rule_value.h"

namespace mamori::sieve {
namespace {

// Collects every problem but formats only the first kMaxReportedErrors.
class Problems {
 public:
  bool full() const { return shown_.size() >= kMaxReportedErrors; }
  template <class... Args>
  void add(fmt::format_string<Args...> format, Args&&... args) {
    ++total_;
    if (!full()) shown_.push_back(fmt::format(format, std::forward<Args>(args)...));
  }
  bool empty() const { return total_ == 0; }
  Error to_error() const {
    std::string message;
    for (const auto& line : shown_) {
      if (!message.empty()) message += '\n';
      message += line;
    }
    if (total_ > shown_.size()) {
      message += fmt::format("\n... and {} more errors", total_ - shown_.size());
    }
    return Error{std::move(message)};
  }

 private:
  std::vector<std::string> shown_;
  std::size_t total_ = 0;
};

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRuleIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  });
}

std::uint32_t line_of(const toml::node& node) { return node.source().begin.line; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// Where a rule's messages point, and how the rule is named in them.
struct RuleContext {
  std::string_view file;
  std::string label;  // "rule 'id'" or "rule #3" while the id is unknown or invalid
};

class Loader {
 public:
  Loader(std::string_view display_path, const std::filesystem::path& base_dir,
         const ReadFile& read_file)
      : display_path_(display_path), base_dir_(base_dir), read_file_(read_file) {}

  Result<Ruleset> load(std::string_view text);

 private:
  void top_level(const toml::table& root);
  void rule(const toml::table& table, std::size_t ordinal);
  void behaviour_values(std::span<const BehaviourParam> params,
                        const std::map<std::string_view, const toml::node*>& nodes,
                        const RuleContext& where, Rule& rule);
  void inline_values(const toml::node& node, const RuleContext& where, Rule& rule);
  void inline_value(const toml::node& node, const RuleContext& where, Rule& rule);
  void file_values(const RuleContext& where, std::uint32_t line, Rule& rule);
  void add_value(std::string_view text, std::string_view file, std::uint32_t line,
                 const RuleContext& where, std::string_view field, Rule& rule);
  const std::string* list_file(const std::string& name, const RuleContext& where,
                               std::uint32_t line);

  std::string_view display_path_;
  std::filesystem::path base_dir_;
  const ReadFile& read_file_;
  Problems problems_;
  Ruleset ruleset_;
  std::unordered_map<std::string, std::uint32_t> id_lines_;
  std::map<std::string, std::optional<std::string>> list_files_;  // name → content (or failed)
};

Result<Ruleset> Loader::load(std::string_view text) {
  ruleset_.path = std::string(display_path_);
  ruleset_.sources.push_back({"", sha256(text)});
  toml::table root;
  try {
    root = toml::parse(text, display_path_);
  } catch (const toml::parse_error& e) {
    return fail("{}:{}: TOML syntax (column {}): {}", display_path_, e.source().begin.line,
                e.source().begin.column, e.description());
  }
  top_level(root);
  if (!problems_.empty()) return fail(problems_.to_error());
  ruleset_.hash = ruleset_hash(ruleset_);
  return std::move(ruleset_);
}

void Loader::top_level(const toml::table& root) {
  for (auto&& [key, node] : root) {
    const std::string_view name = key.str();
    const auto line = key.source().begin.line;
    if (name == "format") {
      const auto* value = node.as_integer();
      if (!value || value->get() != 1) {
        problems_.add("{}:{}: field 'format': only format 1 exists", display_path_, line);
      }
    } else if (name == "name") {
      if (const auto* value = node.as_string()) {
        ruleset_.name = value->get();
      } else {
        problems_.add("{}:{}: field 'name': must be a string", display_path_, line);
      }
    } else if (name == "rule") {
      const auto* rules = node.as_array();
      if (!rules || !rules->is_array_of_tables()) {
        problems_.add("{}:{}: field 'rule': must be an array of tables ([[rule]])", display_path_,
                      line);
        continue;
      }
      std::size_t ordinal = 0;
      for (const auto& element : *rules) rule(*element.as_table(), ++ordinal);
    } else {
      problems_.add("{}:{}: field '{}': unknown top-level key (expected format, name, rule)",
                    display_path_, line, quote_value(name));
    }
  }
}

void Loader::rule(const toml::table& table, std::size_t ordinal) {
  Rule rule;
  rule.line = line_of(table);
  RuleContext where{display_path_, fmt::format("rule #{}", ordinal)};
  const auto problem = [&](std::uint32_t line, std::string_view field, std::string_view what) {
    problems_.add("{}:{}: {}: field '{}': {}", display_path_, line, where.label, field, what);
  };

  if (const auto* node = table.get("id")) {
    const auto* id = node->as_string();
    if (!id) {
      problem(line_of(*node), "id", "must be a string");
    } else if (!valid_id(id->get())) {
      problem(line_of(*node), "id",
              fmt::format("'{}' is not an id: 1..{} characters of A-Z a-z 0-9 . _ : -",
                          quote_value(id->get()), kMaxRuleIdLength));
    } else {
      rule.id = id->get();
      where.label = fmt::format("rule '{}'", rule.id);
      const auto [it, fresh] = id_lines_.emplace(rule.id, line_of(*node));
      if (!fresh) problem(line_of(*node), "id", fmt::format("duplicate of line {}", it->second));
    }
  } else {
    problem(rule.line, "id", "missing");
  }

  std::optional<RuleKind> kind;
  if (const auto* node = table.get("kind")) {
    const auto* text = node->as_string();
    if (text) kind = parse_rule_kind(text->get());
    if (!kind) {
      problem(line_of(*node), "kind",
              fmt::format("'{}' is not a kind (expected ip, domain, port, ja3, ja4, bytes, "
                          "scan, amplification or beacon)",
                          text ? quote_value(text->get()) : std::string("(not a string)")));
    }
  } else {
    problem(rule.line, "kind", "missing");
  }

  const bool behaviour = kind && is_behaviour(*kind);
  const auto params = kind ? behaviour_params(*kind) : std::span<const BehaviourParam>{};
  std::map<std::string_view, const toml::node*> param_nodes;
  const toml::node* value = nullptr;
  const toml::node* values_file = nullptr;
  for (auto&& [key, node] : table) {
    const std::string_view name = key.str();
    const auto param = std::find_if(params.begin(), params.end(),
                                    [&](const BehaviourParam& p) { return p.name == name; });
    if (param != params.end()) {
      param_nodes[param->name] = &node;
    } else if (name == "value") {
      value = &node;
    } else if (name == "values_file") {
      values_file = &node;
    } else if (name == "description") {
      if (const auto* text = node.as_string()) {
        rule.description = text->get();
      } else {
        problem(line_of(node), "description", "must be a string");
      }
    } else if (name != "id" && name != "kind") {
      std::string expected = "id, kind, value, values_file, description";
      if (behaviour) {
        expected = "id, kind, description";
        for (const auto& p : params) expected += fmt::format(", {}", p.name);
      }
      problem(key.source().begin.line, quote_value(name),
              fmt::format("unknown key (expected {})", expected));
    }
  }
  if (behaviour) {
    rule.kind = *kind;
    rule.file = std::string(display_path_);
    behaviour_values(params, param_nodes, where, rule);
    if (value || values_file) {
      problem(line_of(value ? *value : *values_file), value ? "value" : "values_file",
              "a behaviour rule has thresholds, not values");
    }
  } else if ((value == nullptr) == (values_file == nullptr)) {
    problem(rule.line, "value", "give exactly one of 'value' and 'values_file'");
  } else if (kind) {
    rule.kind = *kind;
    if (value) {
      rule.file = std::string(display_path_);
      inline_values(*value, where, rule);
    } else if (const auto* name = values_file->as_string(); !name || name->get().empty()) {
      problem(line_of(*values_file), "values_file", "must be a non-empty string (a path)");
    } else {
      rule.values_file = name->get();
      file_values(where, line_of(*values_file), rule);
    }
  }
  ruleset_.rules.push_back(std::move(rule));
}

ParamInput param_input(const toml::node& node) {
  ParamInput input;
  if (const auto* integer = node.as_integer()) input.integer = integer->get();
  if (const auto* number = node.as_floating_point()) input.number = number->get();
  if (const auto* text = node.as_string()) input.text = text->get();
  if (const auto* array = node.as_array()) {
    input.is_array = true;
    for (const auto& element : *array) {
      const auto* integer = element.as_integer();
      // A non-integer element makes the list unusable; an empty list says so.
      if (!integer) return ParamInput{.is_array = true};
      input.integers.push_back(integer->get());
    }
  }
  return input;
}

// Every parameter of the kind becomes a canonical "name=value", given or default, in name
// order: the approval then binds the thresholds actually in force, not just the ones written.
void Loader::behaviour_values(std::span<const BehaviourParam> params,
                              const std::map<std::string_view, const toml::node*>& nodes,
                              const RuleContext& where, Rule& rule) {
  for (const auto& param : params) {
    const auto it = nodes.find(param.name);
    if (it == nodes.end()) {
      rule.values.push_back(fmt::format("{}={}", param.name, param.default_value));
      rule.value_lines.push_back(rule.line);
      continue;
    }
    const std::uint32_t line = line_of(*it->second);
    auto canonical = canonical_param(param, param_input(*it->second));
    if (!canonical) {
      problems_.add("{}:{}: {}: field '{}': {}", where.file, line, where.label, param.name,
                    canonical.error().message);
      continue;
    }
    rule.values.push_back(std::move(*canonical));
    rule.value_lines.push_back(line);
  }
  if (rule.values.size() != params.size()) return;
  if (auto problem = check_params(rule.kind, rule.values)) {
    problems_.add("{}:{}: {}: field 'kind': {}", where.file, rule.line, where.label, *problem);
  }
}

void Loader::inline_values(const toml::node& node, const RuleContext& where, Rule& rule) {
  if (const auto* array = node.as_array()) {
    if (array->empty()) {
      problems_.add("{}:{}: {}: field 'value': the list is empty", where.file, line_of(node),
                    where.label);
    }
    for (const auto& element : *array) inline_value(element, where, rule);
  } else {
    inline_value(node, where, rule);
  }
}

void Loader::inline_value(const toml::node& node, const RuleContext& where, Rule& rule) {
  if (const auto* text = node.as_string()) {
    add_value(text->get(), where.file, line_of(node), where, "value", rule);
  } else if (const auto* number = node.as_integer(); number && rule.kind == RuleKind::port) {
    add_value(std::to_string(number->get()), where.file, line_of(node), where, "value", rule);
  } else {
    problems_.add("{}:{}: {}: field 'value': must be a string{} or an array of them", where.file,
                  line_of(node), where.label, rule.kind == RuleKind::port ? " or an integer" : "");
  }
}

void Loader::add_value(std::string_view text, std::string_view file, std::uint32_t line,
                       const RuleContext& where, std::string_view field, Rule& rule) {
  auto value = normalize_value(rule.kind, text);
  if (!value) {
    problems_.add("{}:{}: {}: field '{}': {}", file, line, where.label, field,
                  value.error().message);
    return;
  }
  rule.values.push_back(std::move(*value));
  rule.value_lines.push_back(line);
}

const std::string* Loader::list_file(const std::string& name, const RuleContext& where,
                                     std::uint32_t line) {
  auto it = list_files_.find(name);
  if (it == list_files_.end()) {
    auto content = read_file_(base_dir_ / name);
    if (!content) {
      problems_.add("{}:{}: {}: field 'values_file': cannot read '{}': {}", where.file, line,
                    where.label, quote_value(name), content.error().message);
      it = list_files_.emplace(name, std::nullopt).first;
    } else {
      ruleset_.sources.push_back({name, sha256(*content)});
      it = list_files_.emplace(name, std::move(*content)).first;
    }
  }
  return it->second ? &*it->second : nullptr;
}

void Loader::file_values(const RuleContext& where, std::uint32_t line, Rule& rule) {
  const std::string* content = list_file(rule.values_file, where, line);
  if (!content) return;
  rule.file = (base_dir_ / rule.values_file).string();
  std::string_view rest = *content;
  if (rest.starts_with("\xef\xbb\xbf")) rest.remove_prefix(3);  // UTF-8 byte order mark
  std::uint32_t number = 0;
  while (!rest.empty()) {
    ++number;
    const auto end = rest.find('\n');
    std::string_view entry = trim(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (entry.empty() || entry.front() == '#') continue;
    if (rule.kind != RuleKind::bytes) entry = trim(entry.substr(0, entry.find('#')));
    add_value(entry, rule.file, number, where, "values_file", rule);
  }
  if (rule.values.empty() && !problems_.full()) {
    problems_.add("{}:{}: {}: field 'values_file': '{}' holds no values", where.file, line,
                  where.label, quote_value(rule.values_file));
  }
}

void put_u32(std::string& out, std::uint32_t value) {
  out += static_cast<char>(value >> 24);
  out += static_cast<char>(value >> 16);
  out += static_cast<char>(value >> 8);
  out += static_cast<char>(value);
}

void put_str(std::string& out, std::string_view value) {
  put_u32(out, static_cast<std::uint32_t>(value.size()));
  out += value;
}

}  // namespace

std::size_t Ruleset::value_count() const {
  std::size_t count = 0;
  for (const auto& rule : rules) count += rule.values.size();
  return count;
}

Result<std::string> read_file_bytes(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return fail("{}", std::strerror(errno));
  std::string content;
  char buffer[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) content.append(buffer, got);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return fail("read error");
  return content;
}

Result<Ruleset> load_ruleset(const std::filesystem::path& path) {
  auto text = read_file_bytes(path);
  if (!text) return fail("{}: cannot read the ruleset: {}", path.string(), text.error().message);
  return parse_ruleset(*text, path.string(), path.parent_path());
}

Result<Ruleset> parse_ruleset(std::string_view text, std::string_view display_path,
                              const std::filesystem::path& base_dir, const ReadFile& read_file) {
  Loader loader(display_path, base_dir, read_file);
  return loader.load(text);
}

std::string canonical_form(const Ruleset& ruleset) {
  std::string out(kRulesetHashTag);
  put_str(out, ruleset.name);
  put_u32(out, static_cast<std::uint32_t>(ruleset.rules.size()));
  for (const auto& rule : ruleset.rules) {
    put_str(out, rule.id);
    put_str(out, to_string(rule.kind));
    put_str(out, rule.description);
    put_str(out, rule.values_file);
    put_u32(out, static_cast<std::uint32_t>(rule.values.size()));
    for (const auto& value : rule.values) put_str(out, value);
  }
  put_u32(out, static_cast<std::uint32_t>(ruleset.sources.size()));
  for (const auto& source : ruleset.sources) {
    put_str(out, source.name);
    out.append(reinterpret_cast<const char*>(source.sha256.data()), source.sha256.size());
  }
  return out;
}

std::string ruleset_hash(const Ruleset& ruleset) { return to_hex(sha256(canonical_form(ruleset))); }

}  // namespace mamori::sieve
