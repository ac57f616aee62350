#include "store_conformance.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "test_records.h"

namespace mamori::store::testing {

std::string store_backend_name(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

void StoreConformance::SetUp() {
  factory_ = GetParam().make();
  ASSERT_NE(factory_, nullptr);
  auto opened = factory_->open(clock_);
  ASSERT_TRUE(opened) << opened.error().message;
  store_ = std::move(*opened);
}

std::unique_ptr<Store> StoreConformance::open_another() {
  auto opened = factory_->open(clock_);
  if (!opened) {
    ADD_FAILURE() << "opening another connection: " << opened.error().message;
    return nullptr;
  }
  return std::move(*opened);
}

void StoreConformance::reopen() {
  store_.reset();
  store_ = open_another();
}

namespace {

using sieve::Record;

template <class T>
T must(Result<T> result, const char* what) {
  if (!result) {
    ADD_FAILURE() << what << ": " << result.error().message;
    return T{};
  }
  return std::move(*result);
}

void must(Result<void> result, const char* what) {
  EXPECT_TRUE(result) << what << ": " << (result ? "" : result.error().message);
}

constexpr Timestamp kStart = kConformanceStart;

RunInfo run_info(std::string sensor = "gw-1") {
  return {.sensor = std::move(sensor),
          .started_at = kStart,
          .config_hash = "sha256:config",
          .ruleset_hash = "sha256:ruleset",
          .input = "pcap:fixture.pcap"};
}

Prefix prefix(std::string_view text) { return *Prefix::parse(text); }

std::vector<RecordId> ids_of(const std::vector<StoredRecord>& records) {
  std::vector<RecordId> ids;
  for (const auto& stored : records) ids.push_back(stored.id);
  return ids;
}

// The reference semantics of RecordQuery, applied to what the store returned unfiltered.
bool model_accepts(const StoredRecord& stored, const RecordQuery& query) {
  const Record& r = stored.record;
  if (query.rule && std::none_of(r.matches.begin(), r.matches.end(),
                                 [&](const sieve::Match& m) { return m.rule == *query.rule; })) {
    return false;
  }
  // An address query means clear addresses (epoch 0) or pseudonyms of one epoch, never both.
  auto in = [&](const sieve::Endpoint& e) {
    return e.pseudonym_epoch == query.address_epoch && query.address->contains(e.ip);
  };
  if (query.address && !in(r.src) && !in(r.dst)) return false;
  if (query.since && r.first_seen < *query.since) return false;
  if (query.until && !(r.first_seen < *query.until)) return false;
  if (query.category && r.category != *query.category) return false;
  if (query.run && stored.run != *query.run) return false;
  if (query.after && stored.id <= *query.after) return false;
  return true;
}

std::vector<RecordId> model_ids(const std::vector<StoredRecord>& all, const RecordQuery& query) {
  std::vector<RecordId> ids;
  for (const auto& stored : all) {
    if (query.limit > 0 && ids.size() == query.limit) break;
    if (model_accepts(stored, query)) ids.push_back(stored.id);
  }
  return ids;
}

std::string describe(const RecordQuery& q) {
  std::string text;
  if (q.rule) text += " rule=" + *q.rule;
  if (q.address) text += fmt::format(" address=p{}:{}", q.address_epoch, q.address->to_string());
  if (q.since)
    text +=
        " since=" + format_rfc3339_micros(*q.since) + fmt::format("+{}ns", q.since->nanos % 1000);
  if (q.until)
    text +=
        " until=" + format_rfc3339_micros(*q.until) + fmt::format("+{}ns", q.until->nanos % 1000);
  if (q.category) text += " category=" + std::string(scope::to_string(*q.category));
  if (q.run) text += fmt::format(" run={}", *q.run);
  if (q.after) text += fmt::format(" after={}", *q.after);
  return text + fmt::format(" limit={}", q.limit);
}

RecordQuery everything() {
  RecordQuery query;
  query.limit = 0;
  return query;
}

// Two runs: 0..199 in run A (appended in uneven chunks), 200..299 in run B.
struct Fixture {
  RunId run_a = 0;
  RunId run_b = 0;
  std::vector<Record> appended;
  std::vector<StoredRecord> all;
};

Fixture fill(Store& store) {
  Fixture f;
  f.appended = make_records(0, 300, 42);
  f.run_a = must(store.begin_run(run_info("gw-1")), "begin_run A");
  f.run_b = must(store.begin_run(run_info("gw-2")), "begin_run B");
  const std::span<const Record> records(f.appended);
  std::size_t offset = 0;
  for (const std::size_t chunk : {1, 13, 50, 0, 136}) {
    must(store.append(f.run_a, records.subspan(offset, chunk)), "append A");
    offset += chunk;
    if (chunk == 50) must(store.flush(), "flush");
  }
  must(store.append(f.run_b, records.subspan(offset)), "append B");
  must(store.flush(), "flush");
  f.all = must(store.query(everything()), "query all");
  return f;
}

TEST_P(StoreConformance, EmptyStoreHasNothing) {
  EXPECT_TRUE(must(store().query(everything()), "query").empty());
  EXPECT_EQ(must(store().count(everything()), "count"), 0u);
  EXPECT_TRUE(must(store().runs(), "runs").empty());
}

TEST_P(StoreConformance, RoundTripsRecordsExactly) {
  std::vector<Record> records = make_records(0, 40, 1);
  Record v6 = records[0];
  v6.flow_id = flow_id_for(1000);
  v6.src = {*IpAddress::parse("2001:db8:ffff:1::7"), 51234, scope::CountryCode::from("US")};
  v6.dst = {*IpAddress::parse("2001:db8::1:0:0:9"), 443, scope::kJapan};
  v6.dns = {{"v6.example", 28, 0, {*IpAddress::parse("2001:db8::53"), IpAddress::v4(0xc0000201)}}};
  records.push_back(v6);
  Record unicode = records[1];
  unicode.flow_id = flow_id_for(1001);
  unicode.tls = sieve::TlsInfo{"例え.テスト", {"h2"}, "1.3", "771,4865,0,29,0", "x", "t13d"};
  unicode.http = {{"GET", "bücher.example", "Mozilla/5.0 (日本語)"}};
  records.push_back(unicode);
  Record minimal;
  minimal.sensor = "s";
  minimal.flow_id = flow_id_for(1002);
  minimal.first_seen = kStart;
  minimal.last_seen = kStart;
  minimal.protocol = 1;
  minimal.src.ip = IpAddress::v4(0xc6336401);
  minimal.dst.ip = IpAddress::v4(0xcb007101);
  records.push_back(minimal);  // no TLS, no DNS/HTTP/matches, unknown countries, no ports

  const RunId run = must(store().begin_run(run_info()), "begin_run");
  must(store().append(run, records), "append");
  must(store().flush(), "flush");
  const auto stored = must(store().query(everything()), "query");
  ASSERT_EQ(stored.size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(stored[i].record, records[i]) << "record " << i;
    EXPECT_EQ(stored[i].run, run);
    if (i > 0) {
      EXPECT_GT(stored[i].id, stored[i - 1].id);
    }
  }
}

TEST_P(StoreConformance, QueriesSeeOwnAppendsBeforeFlush) {
  const RunId run = must(store().begin_run(run_info()), "begin_run");
  must(store().append(run, make_records(0, 5, 3)), "append");
  EXPECT_EQ(must(store().count(everything()), "count"), 5u);
  EXPECT_EQ(must(store().query(everything()), "query").size(), 5u);
}

TEST_P(StoreConformance, RejectsInvalidRecordsWithoutStoringAny) {
  const RunId run = must(store().begin_run(run_info()), "begin_run");
  auto records = make_records(0, 3, 5);
  records[1].flow_id = "not-hex";
  auto result = store().append(run, records);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("flow"), std::string::npos) << result.error().message;
  EXPECT_EQ(must(store().count(everything()), "count"), 0u);
}

TEST_P(StoreConformance, EachFilterAlone) {
  const Fixture f = fill(store());
  ASSERT_EQ(f.all.size(), 300u);
  const Record& pivot = f.all[100].record;
  std::vector<RecordQuery> queries;
  for (const char* rule : kRules) queries.push_back(RecordQuery{.rule = rule});
  queries.push_back(RecordQuery{.rule = "no-such-rule"});
  for (const char* p : {"198.51.100.0/24", "203.0.113.0/25", "192.0.2.7", "0.0.0.0/0",
                        "2001:db8:1::/48", "2001:db8::/32", "::/0", "10.0.0.0/8"}) {
    queries.push_back(RecordQuery{.address = prefix(p)});
  }
  queries.push_back(RecordQuery{.address = Prefix(pivot.src.ip, pivot.src.ip.family_bits()),
                                .address_epoch = pivot.src.pseudonym_epoch});
  for (std::uint32_t epoch : {1u, 2u, 3u}) {
    for (const char* p : {"198.51.100.0/24", "0.0.0.0/0", "::/0"}) {
      queries.push_back(RecordQuery{.address = prefix(p), .address_epoch = epoch});
    }
  }
  queries.push_back(RecordQuery{.since = pivot.first_seen});
  queries.push_back(RecordQuery{.until = pivot.first_seen});
  for (auto category :
       {scope::Category::FF, scope::Category::FD, scope::Category::DF, scope::Category::DD}) {
    queries.push_back(RecordQuery{.category = category});
  }
  queries.push_back(RecordQuery{.run = f.run_a});
  queries.push_back(RecordQuery{.run = f.run_b});
  queries.push_back(RecordQuery{.run = f.run_b + 100});
  for (auto query : queries) {
    query.limit = 0;
    const auto expected = model_ids(f.all, query);
    EXPECT_EQ(ids_of(must(store().query(query), "query")), expected) << describe(query);
    EXPECT_EQ(must(store().count(query), "count"), expected.size()) << describe(query);
  }
  // Sanity of the fixture: the filters above are not all trivially empty or full.
  EXPECT_EQ(model_ids(f.all, RecordQuery{.run = f.run_b, .limit = 0}).size(), 100u);
  EXPECT_GT(model_ids(f.all, RecordQuery{.address = prefix("::/0"), .limit = 0}).size(), 0u);
  EXPECT_LT(model_ids(f.all, RecordQuery{.address = prefix("::/0"), .limit = 0}).size(), 300u);
  EXPECT_GT(model_ids(f.all, RecordQuery{.address = prefix("::/0"), .address_epoch = 1, .limit = 0})
                .size(),
            0u);
  EXPECT_GT(model_ids(f.all, RecordQuery{.address = prefix("::/0"), .address_epoch = 2, .limit = 0})
                .size(),
            0u);
}

// Every combination of the six filters, each with three different values, against the model.
TEST_P(StoreConformance, EveryFilterCombination) {
  const Fixture f = fill(store());
  ASSERT_EQ(f.all.size(), 300u);
  const char* rules[] = {"c2-ip-1", "exploit-bytes", "no-such-rule"};
  const char* prefixes[] = {"198.51.100.0/24", "2001:db8:1::/48", "0.0.0.0/0", "::/0",
                            "203.0.113.0/24"};
  const scope::Category categories[] = {scope::Category::FD, scope::Category::FF,
                                        scope::Category::DF};
  const RunId runs[] = {f.run_a, f.run_b, f.run_a};
  std::size_t non_empty = 0;
  for (int mask = 0; mask < 64; ++mask) {
    for (int variant = 0; variant < 3; ++variant) {
      RecordQuery query;
      query.limit = 0;
      const auto v = static_cast<std::size_t>(variant);
      if (mask & 1) query.rule = rules[v];
      if (mask & 2) {
        query.address = prefix(prefixes[(v + static_cast<std::size_t>(mask)) % 5]);
        query.address_epoch = static_cast<std::uint32_t>((v + static_cast<std::size_t>(mask)) % 3);
      }
      // Bounds sit on a record's time, or 1 ns after it (stored times are µs).
      if (mask & 4) query.since = f.all[40 + 30 * v].record.first_seen + Duration{variant == 1};
      if (mask & 8) query.until = f.all[260 - 40 * v].record.first_seen + Duration{variant == 2};
      if (mask & 16) query.category = categories[v];
      if (mask & 32) query.run = runs[v];
      const auto expected = model_ids(f.all, query);
      non_empty += !expected.empty();
      EXPECT_EQ(ids_of(must(store().query(query), "query")), expected) << describe(query);
      EXPECT_EQ(must(store().count(query), "count"), expected.size()) << describe(query);
    }
  }
  EXPECT_GT(non_empty, 64u);  // the combinations exercise real results, not only empty ones
}

TEST_P(StoreConformance, TimeBoundsAreSinceInclusiveUntilExclusive) {
  const Fixture f = fill(store());
  ASSERT_EQ(f.all.size(), 300u);
  const StoredRecord& pivot = f.all[150];
  const Timestamp t = pivot.record.first_seen;
  auto contains_pivot = [&](RecordQuery query) {
    query.limit = 0;
    const auto ids = ids_of(must(store().query(query), "query"));
    return std::find(ids.begin(), ids.end(), pivot.id) != ids.end();
  };
  EXPECT_TRUE(contains_pivot({.since = t}));
  EXPECT_FALSE(contains_pivot({.since = t + Duration{1}}));
  EXPECT_FALSE(contains_pivot({.until = t}));
  EXPECT_TRUE(contains_pivot({.until = t + Duration{1}}));
  EXPECT_TRUE(contains_pivot({.since = t, .until = t + Duration{1000}}));
  EXPECT_EQ(must(store().count({.since = t, .until = t}), "count"), 0u);
}

TEST_P(StoreConformance, PagingVisitsEveryRecordOnce) {
  const Fixture f = fill(store());
  ASSERT_EQ(f.all.size(), 300u);
  std::vector<RecordQuery> queries = {
      RecordQuery{},
      RecordQuery{.rule = "c2-ip-1"},
      RecordQuery{.address = prefix("198.51.100.0/24"), .category = scope::Category::FD},
      RecordQuery{.rule = "exploit-bytes", .since = f.all[30].record.first_seen},
  };
  for (auto query : queries) {
    query.limit = 0;
    const auto expected = model_ids(f.all, query);
    query.limit = 7;
    std::vector<RecordId> paged;
    for (int page = 0; page < 100; ++page) {
      const auto records = must(store().query(query), "query");
      EXPECT_LE(records.size(), 7u);
      if (records.empty()) break;
      for (const auto& stored : records) paged.push_back(stored.id);
      query.after = records.back().id;
    }
    EXPECT_EQ(paged, expected) << describe(query);
    // count ignores paging.
    EXPECT_EQ(must(store().count(query), "count"), expected.size()) << describe(query);
  }
  // The default limit applies when none is given.
  EXPECT_EQ(RecordQuery{}.limit, kDefaultQueryLimit);
  EXPECT_EQ(must(store().query({.limit = 10}), "query").size(), 10u);
}

// scan() hands over exactly what query() returns, record for record, for every filter and
// with `after` and `limit`; the StoredRecord it reuses never leaks one record into the next.
TEST_P(StoreConformance, ScanVisitsWhatQueryReturns) {
  const Fixture f = fill(store());
  std::vector<RecordQuery> queries = {
      everything(),
      RecordQuery{.rule = "c2-ip-1", .limit = 0},
      RecordQuery{.address = prefix("198.51.100.0/24"), .limit = 0},
      RecordQuery{.address = prefix("2001:db8::/32"), .category = scope::Category::FD, .limit = 0},
      RecordQuery{
          .since = f.all[40].record.first_seen, .until = f.all[250].record.first_seen, .limit = 0},
      RecordQuery{.run = f.run_b, .limit = 0},
      RecordQuery{.rule = "exploit-bytes", .after = f.all[100].id, .limit = 0},
      RecordQuery{.after = f.all[10].id, .limit = 25},
      RecordQuery{.limit = 1},
      RecordQuery{.category = scope::Category::DD, .limit = 0},
      RecordQuery{.after = f.all.back().id, .limit = 0},
  };
  for (const RecordQuery& query : queries) {
    const auto expected = must(store().query(query), "query");
    std::vector<StoredRecord> scanned;
    auto visited = store().scan(query, [&](const StoredRecord& stored) -> Result<void> {
      scanned.push_back(stored);
      return {};
    });
    ASSERT_TRUE(visited) << describe(query) << ": " << visited.error().message;
    EXPECT_EQ(*visited, expected.size()) << describe(query);
    ASSERT_EQ(scanned.size(), expected.size()) << describe(query);
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(scanned[i].id, expected[i].id) << describe(query);
      EXPECT_EQ(scanned[i].run, expected[i].run);
      EXPECT_EQ(scanned[i].stored_at, expected[i].stored_at);
      EXPECT_EQ(scanned[i].expires_at, expected[i].expires_at);
      EXPECT_EQ(scanned[i].record, expected[i].record) << describe(query) << " #" << i;
    }
  }
}

TEST_P(StoreConformance, ScanSeesOwnAppendsAndStopsAtTheVisitorsError) {
  const RunId run = must(store().begin_run(run_info()), "begin_run");
  must(store().append(run, make_records(0, 20, 7)), "append");  // not flushed
  int calls = 0;
  auto stopped = store().scan(everything(), [&](const StoredRecord&) -> Result<void> {
    if (++calls == 5) return fail("visitor: enough");
    return {};
  });
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().message, "visitor: enough");
  EXPECT_EQ(calls, 5);
  // The store is usable afterwards, and the scan saw the unflushed appends.
  auto all = store().scan(everything(), [](const StoredRecord&) -> Result<void> { return {}; });
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(*all, 20u);
  EXPECT_EQ(must(store().query(everything()), "query").size(), 20u);
}

// More records than one scan page: every one visited once, in order, across page boundaries,
// and a limit that ends inside a later page is honoured.
TEST_P(StoreConformance, ScanPagesThroughMoreThanOnePage) {
  const RunId run = must(store().begin_run(run_info()), "begin_run");
  const std::size_t total = 2 * kScanPageSize + 7;
  std::vector<Record> records = make_records(0, 1, 3);
  records.resize(total, records.front());  // one shape, cheap to append in bulk
  for (std::size_t i = 0; i < total; ++i) records[i].flow_id = flow_id_for(i);
  must(store().append(run, records), "append");
  std::uint64_t next = 0;
  RecordId last = 0;
  bool in_order = true;
  auto visited = store().scan(everything(), [&](const StoredRecord& stored) -> Result<void> {
    in_order = in_order && stored.id > last && sequence_of(stored.record) == next;
    last = stored.id;
    ++next;
    return {};
  });
  ASSERT_TRUE(visited) << visited.error().message;
  EXPECT_EQ(*visited, total);
  EXPECT_TRUE(in_order);
  RecordQuery limited = everything();
  limited.limit = kScanPageSize + 3;
  auto some = store().scan(limited, [](const StoredRecord&) -> Result<void> { return {}; });
  ASSERT_TRUE(some) << some.error().message;
  EXPECT_EQ(*some, kScanPageSize + 3);
}

TEST_P(StoreConformance, RunBookkeeping) {
  const RunId a = must(store().begin_run(run_info("gw-1")), "begin_run a");
  RunInfo info_b = run_info("gw-2");
  info_b.started_at = kStart + Duration::seconds(60);
  info_b.input = "live:eth1";
  const RunId b = must(store().begin_run(info_b), "begin_run b");
  EXPECT_GT(b, a);

  must(store().append(a, make_records(0, 3, 9)), "append a");
  must(store().append(b, make_records(3, 2, 9)), "append b");
  const nlohmann::json summary = {{"packets", 1234}, {"selected", 3}, {"note", "ok ✓"}};
  const Timestamp ended = kStart + Duration::seconds(30);
  must(store().end_run(a, summary, ended), "end_run a");

  const auto runs = must(store().runs(), "runs");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].id, a);
  EXPECT_EQ(runs[0].info.sensor, "gw-1");
  EXPECT_EQ(runs[0].info.started_at, kStart);
  EXPECT_EQ(runs[0].info.config_hash, "sha256:config");
  EXPECT_EQ(runs[0].info.ruleset_hash, "sha256:ruleset");
  EXPECT_EQ(runs[0].info.input, "pcap:fixture.pcap");
  EXPECT_EQ(runs[0].ended_at, ended);
  EXPECT_EQ(runs[0].summary, summary);
  EXPECT_EQ(runs[0].records, 3u);
  EXPECT_EQ(runs[1].id, b);
  EXPECT_EQ(runs[1].info.input, "live:eth1");
  EXPECT_EQ(runs[1].info.started_at, info_b.started_at);
  EXPECT_EQ(runs[1].ended_at, std::nullopt);
  EXPECT_TRUE(runs[1].summary.is_null());
  EXPECT_EQ(runs[1].records, 2u);

  const auto of_b = must(store().query({.run = b, .limit = 0}), "query run b");
  ASSERT_EQ(of_b.size(), 2u);
  EXPECT_EQ(sequence_of(of_b[0].record), 3u);
  EXPECT_EQ(of_b[0].run, b);

  // An ended or unknown run takes no more records and cannot end twice.
  EXPECT_FALSE(store().append(a, make_records(10, 1, 9)));
  EXPECT_FALSE(store().end_run(a, summary, ended));
  EXPECT_FALSE(store().append(b + 1000, make_records(10, 1, 9)));
  EXPECT_FALSE(store().end_run(b + 1000, summary, ended));
  EXPECT_EQ(must(store().count(everything()), "count"), 5u);
}

// Factories must not commit on their own in batches smaller than kBatch records: the reader
// checks that it only ever sees whole flushed batches.
TEST_P(StoreConformance, ConcurrentReaderSeesWholeBatchesWhileWriting) {
  if (!GetParam().shared) GTEST_SKIP() << "backend has no second connection";
  constexpr int kBatches = 40;
  constexpr std::size_t kBatch = 25;
  auto writer = open_another();
  ASSERT_NE(writer, nullptr);
  std::atomic<bool> done{false};
  std::string writer_error;
  std::thread thread([&] {
    auto run = writer->begin_run(run_info());
    for (int b = 0; run && b < kBatches; ++b) {
      auto records = make_records(static_cast<std::uint64_t>(b) * kBatch, kBatch, 11);
      auto appended = writer->append(*run, records);
      auto flushed = appended ? writer->flush() : appended;
      if (!flushed) {
        writer_error = flushed.error().message;
        break;
      }
    }
    if (!run) writer_error = run.error().message;
    done = true;
  });
  std::uint64_t last = 0;
  std::size_t observations = 0;
  bool consistent = true;
  for (;;) {
    const bool finished = done.load();
    auto count = store().count(everything());
    auto page = store().query({.after = static_cast<RecordId>(0), .limit = 5});
    if (!count || !page) {
      ADD_FAILURE() << "reader: " << (!count ? count.error().message : page.error().message);
      consistent = false;
    } else {
      consistent = consistent && *count % kBatch == 0 && *count >= last;
      EXPECT_EQ(*count % kBatch, 0u) << "reader saw a partial batch";
      EXPECT_GE(*count, last) << "reader saw records disappear";
      last = *count;
      ++observations;
    }
    if (finished || !consistent) break;
  }
  thread.join();
  EXPECT_TRUE(writer_error.empty()) << writer_error;
  EXPECT_EQ(last, kBatches * kBatch);
  EXPECT_GE(observations, 1u);
}

// `after` is a cursor: a client that pages on while several writers commit (central
// consumers) must still meet every record, so a record committed later must never carry a
// lower id than one a reader has already passed.
TEST_P(StoreConformance, PagingWhileSeveralWritersCommitMissesNoRecord) {
  if (!GetParam().shared) GTEST_SKIP() << "backend has no second connection";
  constexpr int kWriters = 3;
  constexpr int kBatches = 20;
  constexpr std::size_t kBatch = 150;
  std::vector<std::unique_ptr<Store>> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.push_back(open_another());
    ASSERT_NE(writers.back(), nullptr);
  }
  std::atomic<int> running{kWriters};
  std::vector<std::string> errors(kWriters);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      Store& writer = *writers[static_cast<std::size_t>(w)];
      auto run = writer.begin_run(run_info("gw-" + std::to_string(w)));
      for (int b = 0; run && b < kBatches; ++b) {
        const auto first = static_cast<std::uint64_t>((w * kBatches + b) * kBatch);
        const auto records = make_records(first, kBatch, 17);
        auto appended = writer.append(*run, records);
        auto flushed = appended ? writer.flush() : appended;
        if (!flushed) {
          errors[static_cast<std::size_t>(w)] = flushed.error().message;
          break;
        }
      }
      if (!run) errors[static_cast<std::size_t>(w)] = run.error().message;
      --running;
    });
  }
  // The reader pages on from its last id for as long as the writers run, and once more after.
  std::set<RecordId> seen;
  RecordId after = 0;
  bool last_pass = false;
  for (;;) {
    const bool writers_done = running.load() == 0;
    auto page = store().query({.after = after, .limit = 7});
    if (!page) {
      ADD_FAILURE() << "reader: " << page.error().message;
      break;
    }
    for (const auto& stored : *page) {
      EXPECT_GT(stored.id, after) << "page out of order";
      seen.insert(stored.id);
      after = stored.id;
    }
    if (page->empty() && last_pass) break;
    if (page->empty() && writers_done) last_pass = true;
  }
  for (auto& thread : threads) thread.join();
  for (const auto& error : errors) EXPECT_TRUE(error.empty()) << error;

  const auto all = must(store().query(everything()), "query");
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kWriters * kBatches) * kBatch);
  std::size_t missed = 0;
  for (const auto& stored : all) missed += seen.contains(stored.id) ? 0 : 1;
  EXPECT_EQ(missed, 0u) << "records committed behind the reader's cursor";
}

TEST_P(StoreConformance, ReopenKeepsRecordsAndRuns) {
  if (!GetParam().shared) GTEST_SKIP() << "backend cannot reopen";
  const RunId run = must(store().begin_run(run_info()), "begin_run");
  const auto records = make_records(0, 30, 13);
  must(store().append(run, std::span(records).first(20)), "append");
  must(store().flush(), "flush");
  must(store().append(run, std::span(records).subspan(20)), "append rest");
  reopen();  // closing without flush() still keeps an orderly shutdown's appends
  ASSERT_NE(store_, nullptr);

  const auto stored = must(store().query(everything()), "query");
  ASSERT_EQ(stored.size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) EXPECT_EQ(stored[i].record, records[i]);
  const auto runs = must(store().runs(), "runs");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, run);
  EXPECT_EQ(runs[0].ended_at, std::nullopt);  // never ended: looks like a crashed run
  EXPECT_EQ(runs[0].records, records.size());

  // Runs belong to the connection that began them; a new run gets a new id and new records
  // continue the id sequence.
  EXPECT_FALSE(store().append(run, records));
  const RunId next = must(store().begin_run(run_info()), "begin_run again");
  EXPECT_GT(next, run);
  must(store().append(next, make_records(30, 1, 13)), "append next");
  const auto newest = must(store().query({.run = next, .limit = 0}), "query next");
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_GT(newest[0].id, stored.back().id);
  must(store().end_run(next, nlohmann::json::object(), kStart), "end_run");
  reopen();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(must(store().runs(), "runs").back().summary, nlohmann::json::object());
}

// ---- Retention (I6) ----

constexpr Duration kDay = Duration::seconds(86400);

RunInfo run_with_retention(std::string sensor, Duration retention) {
  RunInfo info = run_info(std::move(sensor));
  info.retention = retention;
  return info;
}

TEST_P(StoreConformance, RetentionStampsStoredAtAndExpiresAtFromTheClock) {
  // A clock reading that is not µs-aligned: stored times are truncated to µs.
  const Timestamp t0 = kStart + Duration::seconds(3600) + Duration{789};
  clock_.set(t0);
  RunInfo info = run_with_retention("gw-1", kDay);
  info.approval_id = "appr-2026-001";
  info.legal_basis = "agreement";
  info.agreement_id = "agr-7";
  const RunId run = must(store().begin_run(info), "begin_run");
  const RunId plain = must(store().begin_run(run_info("gw-2")), "begin_run default");
  must(store().append(run, make_records(0, 3, 21)), "append");
  clock_.advance(Duration::seconds(10));
  must(store().append(run, make_records(3, 2, 21)), "append later");
  must(store().append(plain, make_records(5, 1, 21)), "append default retention");

  auto check = [&] {
    const auto stored = must(store().query(everything()), "query");
    ASSERT_EQ(stored.size(), 6u);
    const Timestamp first = Timestamp::from_micros(t0.micros());
    const Timestamp later = first + Duration::seconds(10);
    for (std::size_t i = 0; i < 5; ++i) {
      const Timestamp at = i < 3 ? first : later;
      EXPECT_EQ(stored[i].stored_at, at) << "record " << i;
      EXPECT_EQ(stored[i].expires_at, at + kDay) << "record " << i;
    }
    EXPECT_EQ(stored[5].stored_at, later);
    EXPECT_EQ(stored[5].expires_at, later + kDefaultRetention);
    // Rule queries (driven by the matches index) carry the same stamps.
    for (const char* rule : kRules) {
      for (const auto& by_rule : must(store().query({.rule = rule, .limit = 0}), "rule query")) {
        const auto same = std::find_if(stored.begin(), stored.end(),
                                       [&](const StoredRecord& s) { return s.id == by_rule.id; });
        ASSERT_NE(same, stored.end());
        EXPECT_EQ(by_rule.stored_at, same->stored_at);
        EXPECT_EQ(by_rule.expires_at, same->expires_at);
      }
    }
    const auto runs = must(store().runs(), "runs");
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].info.approval_id, "appr-2026-001");
    EXPECT_EQ(runs[0].info.legal_basis, "agreement");
    EXPECT_EQ(runs[0].info.agreement_id, "agr-7");
    EXPECT_EQ(runs[0].info.retention, kDay);
    EXPECT_EQ(runs[1].info.approval_id, "");
    EXPECT_EQ(runs[1].info.agreement_id, "");
    EXPECT_EQ(runs[1].info.retention, kDefaultRetention);
  };
  check();
  if (GetParam().shared) {
    reopen();
    ASSERT_NE(store_, nullptr);
    check();
  }
}

TEST_P(StoreConformance, BeginRunRejectsRetentionThatIsNotPositiveWholeSeconds) {
  for (const Duration bad : {Duration{0}, Duration::seconds(-1), Duration::millis(1500),
                             Duration{1}, Duration{kMaxRetention.nanos + 1'000'000'000}}) {
    auto begun = store().begin_run(run_with_retention("gw-1", bad));
    ASSERT_FALSE(begun) << bad.nanos;
    EXPECT_NE(begun.error().message.find("retention"), std::string::npos) << begun.error().message;
  }
  EXPECT_TRUE(must(store().runs(), "runs").empty());
  EXPECT_TRUE(store().begin_run(run_with_retention("gw-1", Duration::seconds(1))));
  EXPECT_TRUE(store().begin_run(run_with_retention("gw-1", kMaxRetention)));
}

// Two runs with different retention, records stored at two times: delete_expired removes
// exactly the records a model says have expired, counts them by run and category, and
// leaves every other record (and its rule matches) queryable.
TEST_P(StoreConformance, Invariant_I6_DeleteExpiredDeletesExactlyTheExpired) {
  clock_.set(kStart);
  const RunId a = must(store().begin_run(run_with_retention("gw-a", kDay)), "begin_run a");
  const RunId b =
      must(store().begin_run(run_with_retention("gw-b", Duration::seconds(10 * 86400))), "b");
  must(store().append(a, make_records(0, 100, 77)), "append a");
  must(store().append(b, make_records(100, 100, 77)), "append b");
  must(store().flush(), "flush");
  clock_.advance(Duration::seconds(2 * 86400));
  must(store().append(a, make_records(200, 50, 77)), "append a later");
  must(store().append(b, make_records(250, 50, 77)), "append b later");
  // Not flushed: delete_expired must see these too.

  EXPECT_EQ(must(store().count_expired(kStart + kDay - Duration{1}), "count_expired"), 0u);
  EXPECT_EQ(must(store().count_expired(kStart + kDay), "count_expired"), 100u);

  const auto all = must(store().query(everything()), "query all");
  ASSERT_EQ(all.size(), 300u);
  // Deletes a's first 100 (expired at +1 d) and nothing of b (+10 d, +12 d); a's later 50
  // expire at +3 d, one ns after as_of.
  const Timestamp as_of = kStart + Duration::seconds(3 * 86400) - Duration{1};
  RetentionResult expected;
  std::vector<RecordId> survivors;
  for (const auto& stored : all) {
    if (stored.expires_at <= as_of) {
      ++expected.records_deleted;
      ++expected.by_run[stored.run];
      ++expected.by_category[static_cast<std::size_t>(stored.record.category)];
    } else {
      survivors.push_back(stored.id);
    }
  }
  ASSERT_EQ(expected.records_deleted, 100u);
  EXPECT_EQ(must(store().count_expired(as_of), "count_expired"), 100u);

  const RetentionResult deleted = must(store().delete_expired(as_of), "delete_expired");
  EXPECT_EQ(deleted.records_deleted, expected.records_deleted);
  EXPECT_EQ(deleted.by_run, expected.by_run);
  EXPECT_EQ(deleted.by_category, expected.by_category);
  EXPECT_TRUE(deleted.purged);
  EXPECT_EQ(deleted.by_category[static_cast<std::size_t>(scope::Category::DD)], 0u);
  EXPECT_GE(std::count_if(deleted.by_category.begin(), deleted.by_category.end(),
                          [](std::uint64_t n) { return n > 0; }),
            2);  // the fixture spreads over categories

  EXPECT_EQ(ids_of(must(store().query(everything()), "query after")), survivors);
  EXPECT_EQ(must(store().count(everything()), "count after"), survivors.size());
  EXPECT_EQ(must(store().count_expired(as_of), "count_expired after"), 0u);
  // Matches of deleted records went with them: every rule query and count agrees with the
  // survivors alone.
  std::vector<StoredRecord> kept;
  for (const auto& stored : all) {
    if (stored.expires_at > as_of) kept.push_back(stored);
  }
  for (const char* rule : kRules) {
    const RecordQuery query{.rule = rule, .limit = 0};
    const auto expected_ids = model_ids(kept, query);
    EXPECT_EQ(ids_of(must(store().query(query), "rule query")), expected_ids) << rule;
    EXPECT_EQ(must(store().count(query), "rule count"), expected_ids.size()) << rule;
  }
  const auto runs = must(store().runs(), "runs");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].records, 50u);
  EXPECT_EQ(runs[1].records, 150u);

  // Nothing left to delete at the same time; later, everything goes.
  const RetentionResult again = must(store().delete_expired(as_of), "delete_expired again");
  EXPECT_EQ(again.records_deleted, 0u);
  EXPECT_TRUE(again.by_run.empty());
  const RetentionResult rest =
      must(store().delete_expired(kStart + Duration::seconds(12 * 86400)), "delete the rest");
  EXPECT_EQ(rest.records_deleted, 200u);
  EXPECT_EQ(rest.by_run.at(a), 50u);
  EXPECT_EQ(rest.by_run.at(b), 100u + 50u);
  EXPECT_EQ(must(store().count(everything()), "count empty"), 0u);
  EXPECT_EQ(must(store().count({.rule = "c2-ip-1", .limit = 0}), "rule count empty"), 0u);

  // The store keeps working: new records of an open run are stamped from the clock as before.
  must(store().append(b, make_records(300, 2, 77)), "append after retention");
  EXPECT_EQ(must(store().count(everything()), "count new"), 2u);
}

// ---- Stored record counts (issue 8's dashboard) ----

// What record_counts(from_day, until_day) must say, from the records themselves.
std::vector<RecordCount> model_counts(const std::vector<StoredRecord>& all, std::int64_t from_day,
                                      std::int64_t until_day) {
  std::map<std::tuple<std::int64_t, scope::Category, std::string>, std::uint64_t> counts;
  for (const auto& stored : all) {
    const Record& r = stored.record;
    const std::int64_t day = r.first_seen.micros() / 86'400'000'000;
    if (day < from_day || day >= until_day) continue;
    ++counts[{day, r.category, ""}];
    std::set<std::string> rules;
    for (std::size_t i = 0; i < std::min(r.matches.size(), sieve::kMaxMatches); ++i) {
      rules.insert(r.matches[i].rule);
    }
    for (const auto& rule : rules) ++counts[{day, r.category, rule}];
  }
  std::vector<RecordCount> out;
  for (const auto& [key, n] : counts) {
    out.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), n});
  }
  return out;
}

constexpr std::int64_t kAllDays = std::int64_t{1} << 40;

TEST_P(StoreConformance, RecordCountsAgreeWithTheRecordsThroughAppendImportAndRetention) {
  clock_.set(kStart);
  auto records = make_records(0, 160, 5);
  for (std::size_t i = 0; i < records.size(); ++i) {  // four days of first_seen
    const Duration shift = Duration::seconds(static_cast<std::int64_t>(i % 4) * 86400);
    records[i].first_seen = records[i].first_seen + shift;
    records[i].last_seen = records[i].last_seen + shift;
  }
  // A rule matched twice by one record counts the record once.
  records[3].matches.push_back(records[3].matches.empty() ? sieve::Match{.rule = "c2-ip-1"}
                                                          : records[3].matches.front());
  records[3].matches.push_back(records[3].matches.front());
  const std::span<const Record> span(records);

  const RunId local = must(store().begin_run(run_with_retention("gw-a", kDay)), "begin_run");
  must(store().append(local, span.subspan(0, 70)), "append");  // not flushed: counts flush
  const RunId imported =
      must(store().import_run("gw-b/1", run_with_retention("gw-b", Duration::seconds(10 * 86400))),
           "import_run");
  EXPECT_TRUE(must(store().import_batch(imported, "b1", span.subspan(70, 50)), "import"));
  EXPECT_FALSE(must(store().import_batch(imported, "b1", span.subspan(70, 50)), "import again"));
  clock_.advance(Duration::seconds(2 * 86400));
  must(store().append(local, span.subspan(120)), "append later");

  auto all = must(store().query(everything()), "query all");
  ASSERT_EQ(all.size(), 160u);
  const std::int64_t first_day = records.front().first_seen.micros() / 86'400'000'000;
  const auto counted = must(store().record_counts(-kAllDays, kAllDays), "record_counts");
  EXPECT_EQ(counted, model_counts(all, -kAllDays, kAllDays));
  EXPECT_GT(counted.size(), 12u);  // 4 days × 3 categories, and rules
  EXPECT_EQ(must(store().record_counts(first_day + 1, first_day + 3), "two days"),
            model_counts(all, first_day + 1, first_day + 3));
  EXPECT_TRUE(must(store().record_counts(first_day + 9, first_day + 20), "none").empty());
  for (const auto& run : must(store().runs(), "runs")) {
    EXPECT_EQ(run.records, must(store().count({.run = run.id, .limit = 0}), "count")) << run.id;
  }

  // Retention takes its records out of the counts in the same transaction: the local run's
  // first 70 expire at +1 d.
  const RetentionResult deleted =
      must(store().delete_expired(kStart + Duration::seconds(86400)), "delete_expired");
  EXPECT_EQ(deleted.records_deleted, 70u);
  all = must(store().query(everything()), "query after");
  ASSERT_EQ(all.size(), 90u);
  EXPECT_EQ(must(store().record_counts(-kAllDays, kAllDays), "after retention"),
            model_counts(all, -kAllDays, kAllDays));
  for (const auto& run : must(store().runs(), "runs after")) {
    EXPECT_EQ(run.records, must(store().count({.run = run.id, .limit = 0}), "count")) << run.id;
  }
  if (GetParam().shared) {
    reopen();
    EXPECT_EQ(must(store().record_counts(-kAllDays, kAllDays), "after reopen"),
              model_counts(all, -kAllDays, kAllDays));
  }
  must(store().delete_expired(kStart + Duration::seconds(20 * 86400)), "delete the rest");
  EXPECT_TRUE(must(store().record_counts(-kAllDays, kAllDays), "empty").empty());
}

// ---- Central ingest (issue 9): exactly-once import of redelivered runs and batches ----

TEST_P(StoreConformance, ImportRunIsIdempotentByKey) {
  const RunId a = must(store().import_run("gw-1/run-1", run_info("gw-1")), "import_run a");
  RunInfo other = run_info("somebody-else");
  other.input = "live:eth9";
  EXPECT_EQ(must(store().import_run("gw-1/run-1", other), "import_run a again"), a);
  const RunId b = must(store().import_run("gw-2/run-1", run_info("gw-2")), "import_run b");
  EXPECT_NE(a, b);
  EXPECT_FALSE(store().import_run("", run_info()));
  EXPECT_FALSE(store().import_run("gw-3/bad", run_with_retention("gw-3", Duration{0})));
  const auto runs = must(store().runs(), "runs");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].id, a);
  EXPECT_EQ(runs[0].info.sensor, "gw-1");  // the first sight's info stays
  EXPECT_EQ(runs[0].info.input, "pcap:fixture.pcap");
  EXPECT_EQ(runs[1].id, b);
  // A local run and an imported one live side by side.
  const RunId local = must(store().begin_run(run_info("local")), "begin_run");
  EXPECT_NE(local, a);
  EXPECT_NE(local, b);
}

TEST_P(StoreConformance, ImportBatchAppliesEachKeyOnce) {
  clock_.set(kStart + Duration::seconds(60));
  const RunId a =
      must(store().import_run("gw-1/run-1", run_with_retention("gw-1", kDay)), "import_run a");
  const RunId b = must(store().import_run("gw-2/run-1", run_info("gw-2")), "import_run b");
  const auto first = make_records(0, 10, 31);
  EXPECT_TRUE(must(store().import_batch(a, "batch-1", first), "import 1"));
  EXPECT_FALSE(must(store().import_batch(a, "batch-1", first), "import 1 again"));
  // A redelivery with other contents is still the same batch: ignored.
  EXPECT_FALSE(must(store().import_batch(a, "batch-1", make_records(50, 3, 31)), "import 1'"));
  EXPECT_TRUE(must(store().import_batch(a, "batch-2", make_records(10, 5, 31)), "import 2"));
  // Batch keys belong to their run: run b's batch-1 is another batch.
  EXPECT_TRUE(must(store().import_batch(b, "batch-1", make_records(15, 4, 31)), "import b1"));
  EXPECT_FALSE(must(store().import_batch(b, "batch-1", make_records(15, 4, 31)), "b1 again"));
  // An empty batch is remembered too.
  EXPECT_TRUE(must(store().import_batch(b, "batch-2", {}), "import empty"));
  EXPECT_FALSE(must(store().import_batch(b, "batch-2", {}), "import empty again"));

  EXPECT_EQ(must(store().count(everything()), "count"), 19u);
  EXPECT_EQ(must(store().count({.run = a, .limit = 0}), "count a"), 15u);
  const auto stored = must(store().query({.run = a, .limit = 0}), "query a");
  ASSERT_EQ(stored.size(), 15u);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(sequence_of(stored[i].record), i) << i;
    EXPECT_EQ(stored[i].stored_at, kStart + Duration::seconds(60));
    EXPECT_EQ(stored[i].expires_at, kStart + Duration::seconds(60) + kDay);
  }
  EXPECT_EQ(stored.front().record, first.front());
  const auto runs = must(store().runs(), "runs");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].records, 15u);
  EXPECT_EQ(runs[1].records, 4u);
  // Imported records are ordinary records: rule queries and retention see them.
  EXPECT_EQ(must(store().count_expired(kStart + Duration::seconds(60) + kDay), "expired"), 15u);
}

TEST_P(StoreConformance, ImportBatchThatFailsRemembersNothing) {
  const RunId run = must(store().import_run("gw-1/run-1", run_info()), "import_run");
  auto records = make_records(0, 4, 8);
  records[2].flow_id = "not-hex";
  ASSERT_FALSE(store().import_batch(run, "batch-1", records));
  EXPECT_EQ(must(store().count(everything()), "count"), 0u);
  records[2].flow_id = flow_id_for(2);
  EXPECT_TRUE(must(store().import_batch(run, "batch-1", records), "import fixed"));
  EXPECT_EQ(must(store().count(everything()), "count"), 4u);
  EXPECT_FALSE(store().import_batch(run + 1000, "batch-1", records));
  EXPECT_FALSE(store().import_batch(run, "", records));
  // A local run is not an import target.
  const RunId local = must(store().begin_run(run_info("local")), "begin_run");
  EXPECT_FALSE(store().import_batch(local, "batch-1", records));
  EXPECT_EQ(must(store().count(everything()), "count"), 4u);
}

TEST_P(StoreConformance, ImportEndIsIdempotent) {
  const RunId run = must(store().import_run("gw-1/run-1", run_info()), "import_run");
  must(store().import_batch(run, "batch-1", make_records(0, 3, 2)), "import");
  const nlohmann::json summary = {{"packets", 10}};
  const Timestamp ended = kStart + Duration::seconds(5);
  must(store().import_end(run, summary, ended), "import_end");
  must(store().import_end(run, {{"packets", 99}}, ended + Duration::seconds(1)), "again");
  EXPECT_FALSE(store().import_end(run + 1000, summary, ended));
  // A local run is ended by end_run(), not by the ingest.
  const RunId local = must(store().begin_run(run_info("local")), "begin_run");
  EXPECT_FALSE(store().import_end(local, summary, ended));
  must(store().end_run(local, summary, ended), "end_run local");
  const auto runs = must(store().runs(), "runs");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].ended_at, ended);
  EXPECT_EQ(runs[0].summary, summary);
  EXPECT_EQ(runs[0].records, 3u);
}

// The keys are in the database, not in the connection: after a reopen (a restarted consumer)
// and from a second connection (another consumer), repeats are still recognized.
TEST_P(StoreConformance, ImportKeysSurviveReopenAndAreSharedBetweenConnections) {
  if (!GetParam().shared) GTEST_SKIP() << "backend cannot reopen";
  const RunId run = must(store().import_run("gw-1/run-1", run_info()), "import_run");
  EXPECT_TRUE(must(store().import_batch(run, "batch-1", make_records(0, 6, 4)), "import"));
  // Durable on return: another connection sees the batch without any flush.
  auto other = open_another();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(must(other->count(everything()), "count other"), 6u);
  EXPECT_EQ(must(other->import_run("gw-1/run-1", run_info("x")), "import_run other"), run);
  EXPECT_FALSE(must(other->import_batch(run, "batch-1", make_records(0, 6, 4)), "repeat other"));
  other.reset();
  reopen();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(must(store().import_run("gw-1/run-1", run_info()), "import_run again"), run);
  EXPECT_FALSE(must(store().import_batch(run, "batch-1", make_records(0, 6, 4)), "repeat"));
  EXPECT_TRUE(must(store().import_batch(run, "batch-2", make_records(6, 2, 4)), "next"));
  must(store().import_end(run, nlohmann::json::object(), kStart), "import_end");
  reopen();
  ASSERT_NE(store_, nullptr);
  must(store().import_end(run, {{"late", true}}, kStart), "import_end after reopen");
  const auto runs = must(store().runs(), "runs");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].records, 8u);
  EXPECT_EQ(runs[0].summary, nlohmann::json::object());
  EXPECT_EQ(must(store().count(everything()), "count"), 8u);
}

}  // namespace
}  // namespace mamori::store::testing
