#include "mamori/analysis/analyze_store.h"

#include <chrono>

namespace mamori::analysis {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<AnalysisResult> analyze_store(store::Store& store, const StoreAnalysis& request) {
  Analyzer analyzer(request.limits);
  store::RecordQuery query;
  query.since = request.since;
  query.until = request.until;
  query.limit = std::max<std::size_t>(1, request.page_size);
  double read_seconds = 0;
  double analyze_seconds = 0;
  for (;;) {
    const auto read_start = std::chrono::steady_clock::now();
    auto page = store.query(query);
    read_seconds += seconds_since(read_start);
    if (!page) return fail("analysis: reading records failed: {}", page.error().message);
    const auto analyze_start = std::chrono::steady_clock::now();
    for (const store::StoredRecord& stored : *page) {
      analyzer.add(stored.id, stored.record, stored.expires_at);
    }
    analyze_seconds += seconds_since(analyze_start);
    if (page->size() < query.limit) break;
    query.after = page->back().id;
  }
  const auto finish_start = std::chrono::steady_clock::now();
  AnalysisResult result = analyzer.finish(request.options);
  analyze_seconds += seconds_since(finish_start);
  result.stats.read_seconds = read_seconds;
  result.stats.analyze_seconds = analyze_seconds;
  return result;
}

Result<AnalysisResult> analyze_store(store::Store& store, std::optional<Timestamp> since,
                                     std::optional<Timestamp> until,
                                     const AnalysisOptions& options) {
  return analyze_store(store, StoreAnalysis{.since = since, .until = until, .options = options});
}

}  // namespace mamori::analysis
