#pragma once
// server/console_intel: the installation's intelligence products and the provisions made of
// them (GET /api/products, /api/products/{id}, /api/provisions), read from the [intel] database
// (site/intel_config.h, intel/intel_storage.h) as `mamori intel list/show/provisions` read it.
// Products are T1 (the whole product, for analysts and admins); provisions are what the ledger's
// provision.made entries record, without the content handed over, for the overseer too. A GET
// creates nothing: before the database exists every list is empty.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"

namespace mamori::server {

// {"products": [{"id", "version", "title", "author", "created_at"}]}: the latest version of
// each, by id.
Result<nlohmann::json> list_products(const std::string& config_path);

// {"product": intel::product_to_json(that version), "versions": [{"version", "title",
// "author", "created_at"}], "provisions": [as list_provisions, of this product, every
// version]}; `version` 0 is the latest; none if the product or that version is unknown.
Result<std::optional<nlohmann::json>> product_detail(const std::string& config_path,
                                                     const std::string& product_id,
                                                     std::uint32_t version = 0);

// {"provisions": [{"ledger_seq", "at", "recipient_id", "recipient_class",
// "recipient_class_ja", "product_id", "product_version", "type", "tier", "legal_basis",
// "purpose", "provided_by"}]}, by time then ledger sequence; empty filters match everything.
Result<nlohmann::json> list_provisions(const std::string& config_path,
                                       const std::string& product_id,
                                       const std::string& recipient_id);

}  // namespace mamori::server
