#include "mamori/governance/json_fields.h"

#include <algorithm>
#include <limits>

namespace mamori::governance::detail {

using nlohmann::json;

JsonFields::JsonFields(const json& json, std::string where) : where_(std::move(where)) {
  if (json.is_object()) {
    object_ = &json;
  } else {
    error_ = where_.empty() ? std::string("must be a JSON object")
                            : fmt::format("{}: must be a JSON object", where_);
  }
}

std::string JsonFields::field_name(std::string_view key) const {
  return where_.empty() ? std::string(key) : fmt::format("{}.{}", where_, key);
}

void JsonFields::error(std::string_view key, std::string_view message) {
  if (!error_) error_ = fmt::format("{}: {}", field_name(key), message);
}

const json* JsonFields::member(std::string_view key, bool required) {
  seen_.emplace_back(key);
  if (!object_) return nullptr;
  const auto it = object_->find(key);
  if (it == object_->end()) {
    if (required) error(key, "is required");
    return nullptr;
  }
  return &*it;
}

std::string JsonFields::string(std::string_view key, bool required) {
  const json* value = member(key, required);
  if (!value) return {};
  if (!value->is_string()) {
    error(key, "must be a string");
    return {};
  }
  return value->get_ref<const std::string&>();
}

std::optional<std::string> JsonFields::nullable_string(std::string_view key) {
  const json* value = member(key, false);
  if (!value || value->is_null()) return std::nullopt;
  if (!value->is_string()) {
    error(key, "must be a string or null");
    return std::nullopt;
  }
  return value->get_ref<const std::string&>();
}

std::vector<std::string> JsonFields::string_list(std::string_view key, bool required) {
  const json* value = member(key, required);
  if (!value) return {};
  if (!value->is_array()) {
    error(key, "must be an array of strings");
    return {};
  }
  std::vector<std::string> out;
  out.reserve(value->size());
  for (std::size_t i = 0; i < value->size(); ++i) {
    const json& element = (*value)[i];
    if (!element.is_string()) {
      error(key, fmt::format("element {} must be a string", i));
      return {};
    }
    out.push_back(element.get_ref<const std::string&>());
  }
  return out;
}

std::uint64_t JsonFields::unsigned_integer(std::string_view key) {
  const json* value = member(key, true);
  if (!value) return 0;
  if (value->is_number_unsigned()) return value->get<std::uint64_t>();
  // nlohmann keeps non-negative literals as unsigned; a signed integer here is negative.
  error(key, value->is_number_integer() ? "must not be negative" : "must be a whole number");
  return 0;
}

Timestamp JsonFields::time(std::string_view key) {
  const json* value = member(key, true);
  if (!value) return {};
  if (!value->is_string()) {
    error(key, "must be an RFC 3339 time string");
    return {};
  }
  auto parsed = parse_rfc3339(value->get_ref<const std::string&>());
  if (!parsed) {
    error(key, parsed.error().message);
    return {};
  }
  if (parsed->nanos % 1000 != 0) {
    error(key, "has more than microsecond precision");
    return {};
  }
  return *parsed;
}

void JsonFields::reject_unknown() {
  if (!object_) return;
  for (const auto& [key, value] : object_->items()) {
    if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) {
      error(key, "unknown field");
      return;
    }
  }
}

Result<void> JsonFields::result() const {
  if (error_) return fail(Error{*error_});
  return {};
}

std::string dump_compact(const json& json) {
  return json.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace mamori::governance::detail
