#include "mamori/registry/attack.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <tuple>

namespace mamori::registry {
namespace {

constexpr std::string_view kHeader = "id,name,tactics,is_subtechnique,deprecated";
constexpr std::size_t kMaxListedErrors = 20;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// One CSV line split on commas, with RFC 4180 quoting inside the line (the vendored table needs
// none, but a hand-edited copy might gain it). nullopt for an unterminated quote.
std::optional<std::vector<std::string>> split_csv_line(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  return fields;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return std::nullopt;
}

// Optimal string alignment distance: Levenshtein plus adjacent transpositions as one edit,
// because "T1109" for "T1190" is one slip of the fingers, not two.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// ASCII lower case; every run of non-alphanumerics becomes one space ("Public-Facing" ~
// "public facing").
std::string fold_name(std::string_view text) {
  std::string out;
  bool pending_space = false;
  for (const char c : text) {
    const bool alnum = is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       static_cast<unsigned char>(c) >= 0x80;
    if (!alnum) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

std::string normalize_id(std::string_view text) {
  std::string id(trim(text));
  if (!id.empty() && id.front() == 't') id.front() = 'T';
  return id;
}

// "T" and a digit: an id, perhaps mistyped ("T1059.01"), rather than a technique name.
bool looks_like_id(std::string_view text) {
  return text.size() >= 2 && text.size() <= 12 && text[0] == 'T' && is_digit(text[1]) &&
         std::ranges::all_of(text, [](char c) { return c == 'T' || c == '.' || is_digit(c); });
}

std::string describe(const std::vector<const Technique*>& suggestions) {
  if (suggestions.empty()) return "no close match in ATT&CK Enterprise";
  std::string out = "did you mean ";
  for (std::size_t i = 0; i < suggestions.size(); ++i) {
    if (i > 0) out += ", ";
    out += fmt::format("{} ({})", suggestions[i]->id, suggestions[i]->name);
  }
  return out + "?";
}

}  // namespace

bool is_technique_id_shape(std::string_view text) {
  if (text.size() != 5 && text.size() != 9) return false;
  if (text[0] != 'T') return false;
  for (std::size_t i = 1; i < 5; ++i) {
    if (!is_digit(text[i])) return false;
  }
  if (text.size() == 5) return true;
  return text[5] == '.' && is_digit(text[6]) && is_digit(text[7]) && is_digit(text[8]);
}

Result<AttackCatalog> AttackCatalog::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("{}: cannot open the ATT&CK technique table", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail("{}: read error", path);
  return parse(text.str(), path);
}

Result<AttackCatalog> AttackCatalog::parse(std::string_view text, const std::string& source_name) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  AttackCatalog catalog;
  std::vector<std::string> errors;
  std::size_t error_count = 0;
  auto error = [&](std::size_t line, std::string message) {
    if (++error_count <= kMaxListedErrors) {
      errors.push_back(fmt::format("{}:{}: {}", source_name, line, message));
    }
  };

  std::size_t line_number = 0;
  bool header_seen = false;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    if (!header_seen) {
      header_seen = true;
      if (line != kHeader) error(line_number, fmt::format("header must be '{}'", kHeader));
      continue;
    }
    auto fields = split_csv_line(line);
    if (!fields) {
      error(line_number, "unterminated quoted field");
      continue;
    }
    if (fields->size() != 5) {
      error(line_number, fmt::format("expected 5 columns, found {}", fields->size()));
      continue;
    }
    Technique technique;
    technique.id = std::string(trim((*fields)[0]));
    technique.name = std::string(trim((*fields)[1]));
    const auto subtechnique = parse_bool(trim((*fields)[3]));
    const auto deprecated = parse_bool(trim((*fields)[4]));
    if (!is_technique_id_shape(technique.id)) {
      error(line_number, "column id: not a technique id (T#### or T####.###)");
      continue;
    }
    if (technique.name.empty()) error(line_number, "column name: empty");
    std::string_view tactics = trim((*fields)[2]);
    while (!tactics.empty()) {
      const std::size_t semi = tactics.find(';');
      const std::string_view tactic = trim(tactics.substr(0, semi));
      if (!tactic.empty()) technique.tactics.emplace_back(tactic);
      tactics.remove_prefix(semi == std::string_view::npos ? tactics.size() : semi + 1);
    }
    if (technique.tactics.empty()) error(line_number, "column tactics: empty");
    if (!subtechnique) error(line_number, "column is_subtechnique: expected true or false");
    if (!deprecated) error(line_number, "column deprecated: expected true or false");
    if (subtechnique && *subtechnique != (technique.id.size() == 9)) {
      error(line_number, "column is_subtechnique: disagrees with the id");
    }
    if (technique.name.empty() || technique.tactics.empty() || !subtechnique || !deprecated) {
      continue;
    }
    technique.subtechnique = *subtechnique;
    technique.deprecated = *deprecated;
    catalog.techniques_.push_back(std::move(technique));
  }
  if (!header_seen) return fail("{}: empty ATT&CK technique table", source_name);

  std::ranges::sort(catalog.techniques_, {}, &Technique::id);
  for (std::size_t i = 1; i < catalog.techniques_.size(); ++i) {
    if (catalog.techniques_[i].id == catalog.techniques_[i - 1].id) {
      ++error_count;
      if (errors.size() < kMaxListedErrors) {
        errors.push_back(
            fmt::format("{}: technique {} listed twice", source_name, catalog.techniques_[i].id));
      }
    }
  }
  if (error_count > 0) {
    std::string message =
        fmt::format("{}: {} problem(s) in the ATT&CK technique table", source_name, error_count);
    for (const std::string& e : errors) message += "\n" + e;
    if (error_count > errors.size()) message += "\n…";
    return fail(Error{std::move(message)});
  }
  if (catalog.techniques_.empty()) return fail("{}: no techniques", source_name);
  return catalog;
}

const Technique* AttackCatalog::find(std::string_view id) const {
  const auto it = std::ranges::lower_bound(techniques_, id, {}, &Technique::id);
  if (it == techniques_.end() || it->id != id) return nullptr;
  return &*it;
}

Result<const Technique*> AttackCatalog::validate(std::string_view text) const {
  const std::string id = normalize_id(text);
  if (!is_technique_id_shape(id) && looks_like_id(id)) {
    return fail("malformed ATT&CK technique id {} (expected T#### or T####.###); {}", id,
                describe(suggest(id)));
  }
  if (!is_technique_id_shape(id)) {
    return fail(
        "not an ATT&CK technique id (expected T#### or T####.###; ATT&CK Enterprise v18.1); {}",
        describe(suggest(text)));
  }
  const Technique* technique = find(id);
  if (technique && !technique->deprecated) return technique;
  if (technique) {
    return fail("ATT&CK technique {} ({}) is deprecated; {}", id, technique->name,
                describe(suggest(id)));
  }
  return fail("unknown ATT&CK technique {}; {}", id, describe(suggest(id)));
}

std::vector<const Technique*> AttackCatalog::suggest(std::string_view text, std::size_t max) const {
  std::vector<const Technique*> out;
  auto add = [&](const Technique* t) {
    if (t && !t->deprecated && out.size() < max && std::ranges::find(out, t) == out.end()) {
      out.push_back(t);
    }
  };
  const std::string id = normalize_id(text);
  if (looks_like_id(id)) {
    if (id.size() > 5 && id[5] == '.') add(find(std::string_view(id).substr(0, 5)));
    std::string sorted_id = id;
    std::ranges::sort(sorted_id);
    std::vector<std::tuple<std::size_t, bool, const Technique*>> ranked;
    for (const Technique& t : techniques_) {
      if (t.deprecated || t.id == id) continue;
      const std::size_t distance = edit_distance(id, t.id);
      if (distance > 2) continue;
      std::string sorted = t.id;
      std::ranges::sort(sorted);
      ranked.emplace_back(distance, sorted != sorted_id, &t);
    }
    std::ranges::sort(ranked, [](const auto& a, const auto& b) {
      return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a)->id) <
             std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b)->id);
    });
    for (const auto& entry : ranked) add(std::get<2>(entry));
    return out;
  }

  const std::string key = fold_name(text);
  if (key.empty()) return out;
  for (const Technique& t : techniques_) {
    if (fold_name(t.name) == key) add(&t);
  }
  if (key.size() >= 3) {
    for (const Technique& t : techniques_) {
      if (fold_name(t.name).find(key) != std::string::npos) add(&t);
    }
  }
  // A few typos in a pasted name: allow one edit per six characters.
  const std::size_t budget = std::max<std::size_t>(1, key.size() / 6);
  std::vector<std::pair<std::size_t, const Technique*>> ranked;
  for (const Technique& t : techniques_) {
    if (t.deprecated) continue;
    const std::string name = fold_name(t.name);
    const std::size_t gap =
        name.size() > key.size() ? name.size() - key.size() : key.size() - name.size();
    if (gap > budget) continue;
    const std::size_t distance = edit_distance(key, name);
    if (distance <= budget) ranked.emplace_back(distance, &t);
  }
  std::ranges::stable_sort(ranked, {}, &std::pair<std::size_t, const Technique*>::first);
  for (const auto& entry : ranked) add(entry.second);
  return out;
}

}  // namespace mamori::registry
