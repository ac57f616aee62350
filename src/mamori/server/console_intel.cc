#include "mamori/server/console_intel.h"

#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "mamori/intel/intel_storage.h"
#include "mamori/intel/sqlite_intel_storage.h"
#include "mamori/site/intel_config.h"

namespace mamori::server {
namespace {

using nlohmann::json;

// The installation's intel storage, or none before its database exists.
Result<std::unique_ptr<intel::IntelStorage>> open_to_read(const std::string& config_path) {
  auto config = site::load_intel_config(config_path);
  if (!config) return fail(config.error());
  std::error_code ec;
  if (!std::filesystem::exists(config->path, ec)) return std::unique_ptr<intel::IntelStorage>();
  return intel::open_sqlite_intel_storage(config->path);
}

json version_json(const intel::ProductVersionInfo& info) {
  return {{"version", info.version},
          {"title", info.title},
          {"author", info.author},
          {"created_at", format_rfc3339_seconds(info.created_at)}};
}

json provision_json(const intel::ProvisionRecord& p) {
  return {{"ledger_seq", p.ledger_seq},
          {"at", format_rfc3339_seconds(p.at)},
          {"recipient_id", p.recipient_id},
          {"recipient_class", intel::to_string(p.recipient_class)},
          {"recipient_class_ja", intel::japanese_name(p.recipient_class)},
          {"product_id", p.product_id},
          {"product_version", p.product_version},
          {"type", intel::to_string(p.type)},
          {"tier", intel::to_string(p.tier)},
          {"legal_basis", p.legal_basis},
          {"purpose", p.purpose},
          {"provided_by", p.provided_by}};
}

Result<json> provisions_of(intel::IntelStorage& storage, const intel::ProvisionQuery& query) {
  auto found = storage.provisions(query);
  if (!found) return fail(found.error());
  json list = json::array();
  for (const auto& provision : *found) list.push_back(provision_json(provision));
  return list;
}

}  // namespace

Result<json> list_products(const std::string& config_path) {
  auto storage = open_to_read(config_path);
  if (!storage) return fail(storage.error());
  json products = json::array();
  if (*storage) {
    auto latest = (*storage)->latest_products();
    if (!latest) return fail(latest.error());
    for (const auto& info : *latest) {
      json row = version_json(info);
      row["id"] = info.id;
      products.push_back(std::move(row));
    }
  }
  return json{{"products", std::move(products)}};
}

Result<std::optional<json>> product_detail(const std::string& config_path,
                                           const std::string& product_id, std::uint32_t version) {
  auto storage = open_to_read(config_path);
  if (!storage) return fail(storage.error());
  if (!*storage) return std::optional<json>();
  auto product = (*storage)->product(product_id, version);
  if (!product) return fail(product.error());
  if (!*product) return std::optional<json>();
  auto versions = (*storage)->product_versions(product_id);
  if (!versions) return fail(versions.error());
  json version_rows = json::array();
  for (const auto& info : *versions) version_rows.push_back(version_json(info));
  auto provisions = provisions_of(**storage, {.product_id = product_id});
  if (!provisions) return fail(provisions.error());
  return std::optional<json>(json{{"product", intel::product_to_json(**product)},
                                  {"versions", std::move(version_rows)},
                                  {"provisions", std::move(*provisions)}});
}

Result<json> list_provisions(const std::string& config_path, const std::string& product_id,
                             const std::string& recipient_id) {
  auto storage = open_to_read(config_path);
  if (!storage) return fail(storage.error());
  if (!*storage) return json{{"provisions", json::array()}};
  auto provisions =
      provisions_of(**storage, {.recipient_id = recipient_id, .product_id = product_id});
  if (!provisions) return fail(provisions.error());
  return json{{"provisions", std::move(*provisions)}};
}

}  // namespace mamori::server
