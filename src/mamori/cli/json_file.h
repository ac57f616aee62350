#pragma once
// cli/json_file: reading and writing the small JSON documents the governed commands exchange
// (approval requests, approvals, tree heads, proofs). Errors name the file.

#include <string>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"

namespace mamori::cli {

Result<nlohmann::json> read_json_file(const std::string& path);
// Writes `json` indented, replacing the file atomically (temp file + rename).
Result<void> write_json_file(const std::string& path, const nlohmann::json& json);

}  // namespace mamori::cli
