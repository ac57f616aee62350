// `mamori share build`: derives shareable aggregates (提供用選別後情報) from selected records.
// Deriving them is a use of selected records, so it passes the same access gate as a read and
// is recorded twice in the ledger: the read (who, why, how many records) and what was derived
// (how many aggregates, how many were withheld below k). Thresholds come from [share]; the
// command line may make them stricter, never looser.

#include <cstdio>
#include <fstream>

#include "mamori/cli/commands.h"
#include "mamori/governance/events.h"
#include "mamori/privacy/share_config.h"
#include "mamori/sieve/ruleset.h"
#include "mamori/site/access_gate.h"
#include "mamori/site/installation.h"
#include "mamori/store/store.h"

namespace mamori::cli {
namespace {

Result<privacy::ShareOptions> share_options(const ShareBuildArgs& args) {
  auto file = ConfigFile::load(args.config);
  if (!file) return fail(file.error());
  auto options = privacy::load_share_options(*file);
  if (!options) return fail(options.error());
  if (args.k) {
    if (*args.k < options->k) {
      return fail("--k {} is below the configured k = {}: thresholds can only be made stricter",
                  *args.k, options->k);
    }
    options->k = *args.k;
  }
  if (args.window) {
    auto window = parse_duration(*args.window);
    if (!window) return fail("--window: {}", window.error().message);
    if (window->nanos < options->window.nanos) {
      return fail(
          "--window {} is finer than the configured window: thresholds can only be "
          "made stricter",
          *args.window);
    }
    options->window = *window;
  }
  if (auto valid = privacy::validate_share_options(*options); !valid) return fail(valid.error());
  return options;
}

Result<store::RecordQuery> share_query(const ShareBuildArgs& args) {
  store::RecordQuery query;
  query.limit = 0;
  if (auto range = site::apply_time_range(args.since, args.until, query); !range) {
    return fail(range.error());
  }
  return query;
}

int failed(const Error& error) {
  std::fprintf(stderr, "mamori share build: %s\n", error.message.c_str());
  return 1;
}

}  // namespace

int run_share_build(const ShareBuildArgs& args) {
  auto options = share_options(args);
  if (!options) return failed(options.error());
  auto query = share_query(args);
  if (!query) return failed(query.error());
  auto credentials = site::gather_credentials(args.user, args.password_file, args.token_file);
  if (!credentials) return failed(credentials.error());
  auto installation = site::open_installation(args.config);
  if (!installation) return failed(installation.error());
  // The current ruleset attributes matches to indicator values (share.h).
  auto ruleset = sieve::load_ruleset((*installation)->sieve.ruleset);
  if (!ruleset) return failed(ruleset.error());
  auto store = store::open_store((*installation)->sieve.store);
  if (!store) return failed(store.error());

  auto grant = site::authorize_read(**installation, **store, *credentials, args.purpose, *query);
  if (!grant) return failed(grant.error());
  auto records = (*store)->query(*query);
  if (!records) return failed(records.error());
  if (auto recorded = site::record_read(**installation, *grant, *query, records->size());
      !recorded) {
    return failed(recorded.error());
  }

  auto builder = privacy::ShareBuilder::create(*options, &*ruleset);
  if (!builder) return failed(builder.error());
  for (const auto& stored : *records) builder->add(stored.record);
  const auto aggregates = builder->build();
  const auto& stats = builder->stats();

  std::ofstream out(args.out, std::ios::trunc);
  for (const auto& aggregate : aggregates) {
    out << privacy::share_to_json(aggregate, *options).dump() << '\n';
  }
  out.close();
  if (!out) return failed(Error{"cannot write " + args.out});

  auto recorded = site::record_event(**installation, governance::events::kShareBuilt,
                                     {{"user", grant->user.name},
                                      {"purpose", grant->purpose},
                                      {"query", site::query_to_json(*query)},
                                      {"records", records->size()},
                                      {"aggregates", stats.aggregates_emitted},
                                      {"withheld_below_k", stats.aggregates_suppressed},
                                      {"k", options->k},
                                      {"window_seconds", options->window.nanos / 1'000'000'000}});
  if (!recorded) return failed(recorded.error());
  std::printf(
      "%llu shareable aggregates from %llu records written to %s (%llu withheld: fewer "
      "than %u distinct peers) / 提供用選別後情報を作成しました\n",
      static_cast<unsigned long long>(stats.aggregates_emitted),
      static_cast<unsigned long long>(records->size()), args.out.c_str(),
      static_cast<unsigned long long>(stats.aggregates_suppressed), options->k);
  return 0;
}

}  // namespace mamori::cli
