#pragma once
// tests/store/ledger_storage_conformance: the suite every ledger::LedgerStorage backend passes
// (the Trillian storagetest pattern, as store_conformance.h for Store). A backend instantiates
// it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, LedgerStorageConformance,
//                            ::testing::Values(LedgerBackend{"sqlite", make_factory}),
//                            ledger_backend_name);
//
// It covers appends with and without tree heads, reads of every range, stale and malformed
// appends writing nothing, exact leaf and head round trips, reopening, and two connections
// racing to append at the same size (exactly one wins, and a retry loop loses nothing).

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "mamori/ledger/storage.h"

namespace mamori::store::testing {

// Owns one fresh, empty ledger for the duration of a test.
class LedgerStorageFactory {
 public:
  virtual ~LedgerStorageFactory() = default;
  // With a shared backend every call opens another connection to the same ledger.
  virtual Result<std::unique_ptr<ledger::LedgerStorage>> open() = 0;
};

struct LedgerBackend {
  std::string name;
  std::function<std::unique_ptr<LedgerStorageFactory>()> make;
  bool shared = true;  // false: every open() is a new private ledger (tests needing two skip)
};

std::string ledger_backend_name(const ::testing::TestParamInfo<LedgerBackend>& info);
inline void PrintTo(const LedgerBackend& backend, std::ostream* out) { *out << backend.name; }

class LedgerStorageConformance : public ::testing::TestWithParam<LedgerBackend> {
 protected:
  void SetUp() override;

  ledger::LedgerStorage& storage() { return *storage_; }
  std::unique_ptr<ledger::LedgerStorage> open_another();

  std::unique_ptr<LedgerStorageFactory> factory_;
  std::unique_ptr<ledger::LedgerStorage> storage_;
};

}  // namespace mamori::store::testing
