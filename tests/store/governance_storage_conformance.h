#pragma once
// tests/store/governance_storage_conformance: the suite every governance::GovernanceStorage
// backend passes (users, API token digests, consents), instantiated per backend with a
// factory as in store_conformance.h:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, GovernanceStorageConformance,
//                            ::testing::Values(GovernanceBackend{"sqlite", make_factory}),
//                            governance_backend_name);

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "mamori/governance/storage.h"

namespace mamori::store::testing {

class GovernanceStorageFactory {
 public:
  virtual ~GovernanceStorageFactory() = default;
  // With a shared backend every call opens another connection to the same database.
  virtual Result<std::unique_ptr<governance::GovernanceStorage>> open() = 0;
};

struct GovernanceBackend {
  std::string name;
  std::function<std::unique_ptr<GovernanceStorageFactory>()> make;
  bool shared = true;  // false: every open() is a new private database (reopen tests skip)
};

std::string governance_backend_name(const ::testing::TestParamInfo<GovernanceBackend>& info);
inline void PrintTo(const GovernanceBackend& backend, std::ostream* out) { *out << backend.name; }

class GovernanceStorageConformance : public ::testing::TestWithParam<GovernanceBackend> {
 protected:
  void SetUp() override;

  governance::GovernanceStorage& storage() { return *storage_; }
  // Closes the test's connection and opens a new one to the same database.
  void reopen();

  std::unique_ptr<GovernanceStorageFactory> factory_;
  std::unique_ptr<governance::GovernanceStorage> storage_;
};

}  // namespace mamori::store::testing
