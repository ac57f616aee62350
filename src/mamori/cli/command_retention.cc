// `mamori retention run`: deletes every record whose retention has expired (I6), and every
// analysis run (findings, candidates) derived only from records that have expired, and records
// the deletion, with counts, in the ledger (site::apply_retention, as mamorid's schedule does).
// Deleted bytes are gone from the database file (the store overwrites freed pages and truncates its
// write-ahead log).

#include <cstdio>

#include "mamori/cli/commands.h"
#include "mamori/site/installation.h"
#include "mamori/site/maintenance.h"
#include "mamori/store/store.h"

namespace mamori::cli {

int run_retention(const RetentionArgs& args) {
  Timestamp as_of = SystemClock().now();
  if (args.as_of) {
    auto parsed = parse_rfc3339(*args.as_of);
    if (!parsed) {
      std::fprintf(stderr, "mamori retention run: --as-of: %s\n", parsed.error().message.c_str());
      return 1;
    }
    as_of = *parsed;
  }
  auto installation = site::open_installation(args.config);
  if (!installation) {
    std::fprintf(stderr, "mamori retention run: %s\n", installation.error().message.c_str());
    return 1;
  }
  auto store = store::open_store((*installation)->sieve.store);
  if (!store) {
    std::fprintf(stderr, "mamori retention run: %s\n", store.error().message.c_str());
    return 1;
  }
  if (args.dry_run) {
    auto expired = (*store)->count_expired(as_of);
    if (!expired) {
      std::fprintf(stderr, "mamori retention run: %s\n", expired.error().message.c_str());
      return 1;
    }
    std::printf("%llu records expired as of %s (dry run, nothing deleted) / 期限切れレコード\n",
                static_cast<unsigned long long>(*expired), format_rfc3339_seconds(as_of).c_str());
    return 0;
  }
  auto done = site::apply_retention(**installation, **store, as_of);
  if (!done) {
    std::fprintf(stderr, "mamori retention run: %s\n", done.error().message.c_str());
    return 1;
  }
  std::printf(
      "%llu expired records and %zu analysis runs deleted as of %s (ledger entry %llu) / "
      "保存期間を過ぎたレコードと分析結果を削除しました\n",
      static_cast<unsigned long long>(done->records.records_deleted), done->findings.runs.size(),
      format_rfc3339_seconds(as_of).c_str(), static_cast<unsigned long long>(done->ledger_seq));
  return 0;
}

}  // namespace mamori::cli
