// CPE 2.3 formatted-string validation for import.h (NISTIR 7695 §6.2, the binding NVD and KEV
// use), so a malformed name is rejected at filing instead of silently never matching.

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "mamori/registry/import.h"
#include "mamori/registry/normalize.h"

namespace mamori::registry {
namespace {

// One attribute value of a formatted string: "*" (ANY), "-" (NA), or letters, digits, '_', '-',
// '.' and '\'-escaped punctuation, with unescaped '*' (one) or '?' (a run) only at either end.
std::optional<std::string> cpe_attribute_problem(std::string_view value) {
  if (value.empty()) return "is empty (use * for any value or - for not applicable)";
  if (value == "*" || value == "-") return std::nullopt;
  std::vector<char> specials;  // per character: '*', '?' or 0 for an ordinary one
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == '\\') {
      if (i + 1 >= value.size()) return "ends with an escape character '\\'";
      const auto escaped = static_cast<unsigned char>(value[i + 1]);
      if (escaped >= 0x80 || !std::ispunct(escaped)) {
        return fmt::format("character {}: '\\' may only escape punctuation", i + 1);
      }
      specials.push_back(0);
      ++i;
    } else if (c == '*' || c == '?') {
      specials.push_back(static_cast<char>(c));
    } else if (c < 0x80 && (std::isalnum(c) || c == '_' || c == '-' || c == '.')) {
      specials.push_back(0);
    } else if (c >= 0x80) {
      return fmt::format("character {}: only ASCII is allowed", i + 1);
    } else {
      return fmt::format("character {}: '{}' must be escaped as '\\{}'", i + 1,
                         static_cast<char>(c), static_cast<char>(c));
    }
  }
  std::size_t lead = 0;
  while (lead < specials.size() && specials[lead] != 0) ++lead;
  std::size_t trail = 0;
  while (trail < specials.size() - lead && specials[specials.size() - 1 - trail] != 0) ++trail;
  auto valid_run = [&](std::size_t from, std::size_t count) {
    if (count == 0) return true;
    if (count == 1 && specials[from] == '*') return true;
    return std::all_of(specials.begin() + static_cast<std::ptrdiff_t>(from),
                       specials.begin() + static_cast<std::ptrdiff_t>(from + count),
                       [](char s) { return s == '?'; });
  };
  for (std::size_t i = lead; i < specials.size() - trail; ++i) {
    if (specials[i] != 0) return "has an unescaped '*' or '?' inside the value";
  }
  if (!valid_run(0, lead) || !valid_run(specials.size() - trail, trail)) {
    return "has an invalid wildcard (one '*' or a run of '?' at either end)";
  }
  return std::nullopt;
}

}  // namespace

Result<void> validate_cpe23(std::string_view cpe) {
  static constexpr std::array<std::string_view, 11> kAttributes = {
      "part",     "vendor",     "product",   "version",   "update", "edition",
      "language", "sw_edition", "target_sw", "target_hw", "other"};
  std::vector<std::string_view> components;
  std::size_t start = 0;
  for (std::size_t i = 0; i < cpe.size(); ++i) {
    if (cpe[i] == '\\') {
      ++i;  // the escaped character, even ':', belongs to the value
    } else if (cpe[i] == ':') {
      components.push_back(cpe.substr(start, i - start));
      start = i + 1;
    }
  }
  components.push_back(cpe.substr(std::min(start, cpe.size())));
  if (components.size() < 2 || normalize_text(components[0]) != "cpe" || components[1] != "2.3") {
    return fail("not a CPE 2.3 name: it must start with \"cpe:2.3:\"");
  }
  if (components.size() != 13) {
    return fail("CPE 2.3 name has {} components, expected 13 (cpe:2.3: and 11 attributes)",
                components.size());
  }
  const std::string_view part = components[2];
  if (part != "a" && part != "o" && part != "h" && part != "*" && part != "-") {
    return fail("CPE part must be a (application), o (operating system), h (hardware), * or -");
  }
  for (std::size_t k = 3; k < components.size(); ++k) {
    if (auto problem = cpe_attribute_problem(components[k])) {
      return fail("CPE {}: {}", kAttributes[k - 2], *problem);
    }
  }
  return {};
}

}  // namespace mamori::registry
