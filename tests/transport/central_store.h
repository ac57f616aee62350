#pragma once
// tests/transport/central_store: the central store the transport tests import into. A real
// `sqlite:` store when its backend implements the central ingest (Store::import_*); until it
// does, the same store wrapped in ImportShim, a test-only stand-in that implements the import
// contract (run key -> run, batch keys remembered, repeats ignored) on top of begin_run /
// append / flush / end_run, kept in memory for the life of the object.

#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include "mamori/store/store.h"

namespace mamori::transport::testing {

class ImportShim final : public store::Store {
 public:
  explicit ImportShim(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}

  Result<store::RunId> begin_run(const store::RunInfo& info) override {
    return inner_->begin_run(info);
  }
  Result<void> append(store::RunId run, std::span<const sieve::Record> records) override {
    return inner_->append(run, records);
  }
  Result<void> flush() override { return inner_->flush(); }
  Result<void> end_run(store::RunId run, const nlohmann::json& summary, Timestamp at) override {
    return inner_->end_run(run, summary, at);
  }
  Result<std::vector<store::StoredRecord>> query(const store::RecordQuery& query) override {
    return inner_->query(query);
  }
  Result<std::uint64_t> count(const store::RecordQuery& query) override {
    return inner_->count(query);
  }
  Result<std::vector<store::Run>> runs() override { return inner_->runs(); }
  Result<store::RetentionResult> delete_expired(Timestamp as_of) override {
    return inner_->delete_expired(as_of);
  }
  Result<std::uint64_t> count_expired(Timestamp as_of) override {
    return inner_->count_expired(as_of);
  }

  Result<store::RunId> import_run(std::string_view run_key, const store::RunInfo& info) override {
    if (const auto it = runs_.find(std::string(run_key)); it != runs_.end()) return it->second;
    auto run = inner_->begin_run(info);
    if (!run) return run;
    runs_.emplace(std::string(run_key), *run);
    return run;
  }
  Result<bool> import_batch(store::RunId run, std::string_view batch_key,
                            std::span<const sieve::Record> records) override {
    if (batches_.contains(std::string(batch_key))) return false;
    if (auto ok = inner_->append(run, records); !ok) return fail(ok.error());
    if (auto ok = inner_->flush(); !ok) return fail(ok.error());
    batches_.insert(std::string(batch_key));
    return true;
  }
  Result<void> import_end(store::RunId run, const nlohmann::json& summary, Timestamp at) override {
    if (ended_.contains(run)) return {};
    ended_.insert(run);
    return inner_->end_run(run, summary, at);
  }

 private:
  std::unique_ptr<store::Store> inner_;
  std::map<std::string, store::RunId> runs_;
  std::set<std::string> batches_;
  std::set<store::RunId> ended_;
};

// The store at `url`, wrapped in ImportShim if its backend cannot import yet. `shimmed` says
// which.
inline std::unique_ptr<store::Store> open_central_store(const std::string& url, bool& shimmed) {
  auto opened = store::open_store(url);
  if (!opened) throw std::runtime_error("open_central_store: " + opened.error().message);
  std::unique_ptr<store::Store> store = std::move(*opened);
  // Probe with a key no sensor makes.
  auto probe = store->import_run("probe-import-support", store::RunInfo{.sensor = "probe"});
  shimmed = !probe && probe.error().message.find("cannot import") != std::string::npos;
  if (shimmed) return std::make_unique<ImportShim>(std::move(store));
  if (!probe) throw std::runtime_error("open_central_store: " + probe.error().message);
  return store;
}

}  // namespace mamori::transport::testing
