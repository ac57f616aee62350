#pragma once
// tests/store/store_conformance: the one test suite every Store backend must pass (the
// Trillian storagetest pattern). A backend instantiates it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance,
//                            ::testing::Values(StoreBackend{"sqlite", make_sqlite_factory}),
//                            store_backend_name);
//
// The suite covers round trips (IPv4, IPv6, unicode, absent optional fields), every query
// filter alone and in every combination against a reference model, paging, run bookkeeping,
// a concurrent reader while a writer commits, reopening after close, and retention (I6):
// stored_at/expires_at stamping from the injected clock and delete_expired against a model,
// and the central ingest (import_run/import_batch/import_end applied exactly once).

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "mamori/store/store.h"

namespace mamori::store::testing {

// Owns one fresh, empty database for the duration of a test.
class StoreFactory {
 public:
  virtual ~StoreFactory() = default;
  // Opens a connection to the factory's database with `clock` (which outlives it); with a
  // shared backend every call opens another connection to the same database (used for
  // reopening and for concurrent readers).
  virtual Result<std::unique_ptr<Store>> open(const Clock& clock) = 0;
};

struct StoreBackend {
  std::string name;
  std::function<std::unique_ptr<StoreFactory>()> make;
  // False for backends whose every open() is a new private database (sqlite::memory:): the
  // tests that reopen or open a second connection skip.
  bool shared = true;
};

std::string store_backend_name(const ::testing::TestParamInfo<StoreBackend>& info);
inline void PrintTo(const StoreBackend& backend, std::ostream* out) { *out << backend.name; }

// 2026-11-22T00:00:00.123456Z
inline constexpr Timestamp kConformanceStart = Timestamp::from_micros(1795305600'123456);

class StoreConformance : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;

  Store& store() { return *store_; }
  std::unique_ptr<Store> open_another();
  // Closes the test's connection and opens a new one to the same database.
  void reopen();

  ManualClock clock_{kConformanceStart};  // declared first: outlives the stores
  std::unique_ptr<StoreFactory> factory_;
  std::unique_ptr<Store> store_;
};

}  // namespace mamori::store::testing
