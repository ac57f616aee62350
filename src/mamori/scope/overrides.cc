#include "mamori/scope/overrides.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

namespace mamori::scope {
namespace {

// A bad file (say, a binary one given by mistake) must not flood the log.
constexpr std::size_t kMaxReportedErrors = 50;
constexpr std::size_t kMaxQuotedChars = 60;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && is_space(line[pos])) ++pos;
    const std::size_t start = pos;
    while (pos < line.size() && !is_space(line[pos])) ++pos;
    if (pos > start) fields.push_back(line.substr(start, pos - start));
  }
  return fields;
}

// Quotes a field for an error message, cut short and with control bytes replaced.
std::string quoted(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, kMaxQuotedChars)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  if (text.size() > kMaxQuotedChars) out += "...";
  return "'" + out + "'";
}

bool printable(std::string_view text) {
  if (text.size() > kMaxQuotedChars) return false;
  return std::none_of(text.begin(), text.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

bool Overrides::add(const Prefix& prefix, bool domestic) {
  const auto same = [&](const Override& o) { return o.prefix == prefix; };
  if (std::any_of(entries_.begin(), entries_.end(), same)) return false;
  entries_.push_back({prefix, domestic, 0});
  return true;
}

Result<Overrides> Overrides::parse(std::string_view text, std::string_view source) {
  Overrides overrides;
  std::vector<std::string> errors;
  std::size_t error_count = 0;
  const auto report = [&](std::size_t line, std::string what) {
    if (++error_count <= kMaxReportedErrors) {
      errors.push_back(fmt::format("{}:{}: {}", source, line, what));
    }
  };
  std::map<Prefix, std::size_t> first_line;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    line = line.substr(0, line.find('#'));
    const auto fields = split_fields(line);
    if (fields.empty()) continue;
    if (fields.size() != 2) {
      report(line_number,
             fmt::format("expected 'PREFIX domestic|foreign', found {} fields", fields.size()));
      continue;
    }
    const bool domestic = fields[1] == "domestic";
    const bool policy_ok = domestic || fields[1] == "foreign";
    if (!policy_ok) {
      report(line_number, fmt::format("{} is neither 'domestic' nor 'foreign'", quoted(fields[1])));
    }
    // Prefix::parse quotes its input; give it only text that is safe to print.
    auto prefix = printable(fields[0])
                      ? Prefix::parse(fields[0])
                      : Result<Prefix>(fail("{} is not a prefix", quoted(fields[0])));
    if (!prefix) report(line_number, prefix.error().message);
    if (!prefix || !policy_ok) continue;
    const auto [it, inserted] = first_line.emplace(*prefix, line_number);
    if (!inserted) {
      report(line_number,
             fmt::format("{} is already listed on line {}", prefix->to_string(), it->second));
      continue;
    }
    overrides.entries_.push_back({*prefix, domestic, line_number});
  }
  if (error_count > kMaxReportedErrors) {
    errors.push_back(
        fmt::format("{}: {} more errors not shown", source, error_count - kMaxReportedErrors));
  }
  if (!errors.empty()) {
    std::string message = errors.front();
    for (std::size_t i = 1; i < errors.size(); ++i) message += "\n" + errors[i];
    return fail(Error{std::move(message)});
  }
  return overrides;
}

Result<Overrides> Overrides::load(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return fail("overrides file '{}': cannot open: {}", path.string(), std::strerror(errno));
  }
  std::string contents;
  char buffer[8192];
  std::size_t count;
  while ((count = std::fread(buffer, 1, sizeof buffer, file)) > 0) contents.append(buffer, count);
  const int error = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (error != 0) {
    return fail("overrides file '{}': cannot read: {}", path.string(), std::strerror(error));
  }
  return parse(contents, path.string());
}

}  // namespace mamori::scope
