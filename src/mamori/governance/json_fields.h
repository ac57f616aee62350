#pragma once
// governance/json_fields: strict reading of the governance JSON objects (approval requests,
// approvals, consents). Every object is closed: a field nobody asked for is an error naming it,
// because these objects are signed or recorded as evidence and a misspelt field ("not_afer")
// silently ignored would change what the overseer believes was approved. The first problem is
// kept and reported as "where.field: what is wrong". Never throws.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/core/utf8.h"

namespace mamori::governance::detail {

class JsonFields {
 public:
  // `where` prefixes field names in errors ("request" → "request.sensor"); "" at the top.
  JsonFields(const nlohmann::json& json, std::string where);

  // A required string (absent → error), or "" when absent and not required.
  std::string string(std::string_view key, bool required = true);
  // Absent or null → nullopt.
  std::optional<std::string> nullable_string(std::string_view key);
  // Absent → empty when not required.
  std::vector<std::string> string_list(std::string_view key, bool required = true);
  std::uint64_t unsigned_integer(std::string_view key);
  // RFC 3339; more than microsecond precision is an error, so that writing the value back
  // (always six fractional digits) gives the same instant.
  Timestamp time(std::string_view key);
  // The member, or nullptr (then an error is recorded if `required`).
  const nlohmann::json* member(std::string_view key, bool required = true);

  void error(std::string_view key, std::string_view message);
  // Fields present that no one asked for are errors.
  void reject_unknown();

  bool ok() const { return !error_.has_value(); }
  Result<void> result() const;
  std::string field_name(std::string_view key) const;

 private:
  const nlohmann::json* object_ = nullptr;
  std::string where_;
  std::vector<std::string> seen_;
  std::optional<std::string> error_;
};

// True if `text` is well-formed UTF-8 (no overlongs, no surrogates).
using mamori::is_valid_utf8;  // core/utf8.h

// nlohmann::json::dump never throws here: compact, UTF-8 kept as is, invalid UTF-8 replaced
// (callers validate text before anything is signed, so replacement never reaches a signature).
std::string dump_compact(const nlohmann::json& json);

}  // namespace mamori::governance::detail
