#pragma once
// intel/intel_storage: what intel needs from persistent storage — intelligence products as
// numbered, immutable versions (a change is a new version; a provision names the version it
// gave out), and the provisions made, queryable by recipient, product and time for the
// inspection report. SQLite backend: sqlite_intel_storage.h.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/intel/dissemination.h"
#include "mamori/intel/product.h"
#include "mamori/intel/recipient.h"

namespace mamori::intel {

struct ProductVersionInfo {
  std::string id = {};
  std::uint32_t version = 0;
  std::string title = {};
  std::string author = {};
  Timestamp created_at = {};
};

// One provision as stored; `details` is the body of its provision.made ledger entry.
struct ProvisionRecord {
  std::uint64_t ledger_seq = 0;  // the provision.made entry; unique
  Timestamp at = {};
  std::string recipient_id = {};
  RecipientClass recipient_class = RecipientClass::public_;
  std::string product_id = {};
  std::uint32_t product_version = 0;
  ProvisionType type = ProvisionType::tiered;
  Tier tier = Tier::t3;
  std::string legal_basis = {};
  std::string purpose = {};
  std::string provided_by = {};
  nlohmann::json details = nlohmann::json::object();
  nlohmann::json content = nlohmann::json::object();  // product_to_json of what was handed over
};

// Empty fields match everything; times are [since, until).
struct ProvisionQuery {
  std::string recipient_id = {};
  std::string product_id = {};
  std::optional<Timestamp> since = {};
  std::optional<Timestamp> until = {};
};

class IntelStorage {
 public:
  virtual ~IntelStorage() = default;

  // Validates `product` (a T1 product) and stores it as the next version of its id (1 for a
  // new id), ignoring product.version; returns it with the version set.
  virtual Result<Product> save_product(Product product) = 0;
  // The given version, or the latest when version is 0; nullopt if there is none.
  virtual Result<std::optional<Product>> product(std::string_view id,
                                                 std::uint32_t version = 0) = 0;
  // Every version of one product, ascending.
  virtual Result<std::vector<ProductVersionInfo>> product_versions(std::string_view id) = 0;
  // The latest version of every product, by id.
  virtual Result<std::vector<ProductVersionInfo>> latest_products() = 0;

  virtual Result<void> record_provision(const ProvisionRecord& record) = 0;
  // Ascending by time, then ledger sequence.
  virtual Result<std::vector<ProvisionRecord>> provisions(const ProvisionQuery& query) = 0;
};

}  // namespace mamori::intel
