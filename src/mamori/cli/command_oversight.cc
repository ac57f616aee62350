// `mamori oversight report`: the inspection report for the overseer (HTML with inline SVG
// charts, or JSON), built from the ledger's events and the store's run counters only: it holds
// aggregates, never a record's contents.

#include <cstdio>
#include <fstream>

#include "mamori/cli/commands.h"
#include "mamori/oversight/report.h"
#include "mamori/site/installation.h"
#include "mamori/store/store.h"

namespace mamori::cli {

int run_oversight_report(const OversightReportArgs& args) {
  auto from = parse_rfc3339(args.from);
  auto to = parse_rfc3339(args.to);
  if (!from || !to) {
    std::fprintf(stderr, "mamori oversight report: --from/--to: %s\n",
                 (!from ? from.error() : to.error()).message.c_str());
    return 1;
  }
  auto installation = site::open_installation(args.config);
  if (!installation) {
    std::fprintf(stderr, "mamori oversight report: %s\n", installation.error().message.c_str());
    return 1;
  }
  auto store = store::open_store((*installation)->sieve.store);
  if (!store) {
    std::fprintf(stderr, "mamori oversight report: %s\n", store.error().message.c_str());
    return 1;
  }
  auto& storage = *(*installation)->ledger_storage;
  oversight::ReportInputs inputs;
  auto size = storage.size();
  auto leaves =
      size ? storage.read(0, *size) : Result<std::vector<ledger::StoredLeaf>>(fail(size.error()));
  auto heads = storage.tree_heads();
  auto runs = (*store)->runs();
  if (!leaves || !heads || !runs) {
    std::fprintf(stderr, "mamori oversight report: %s\n",
                 (!leaves  ? leaves.error()
                  : !heads ? heads.error()
                           : runs.error())
                     .message.c_str());
    return 1;
  }
  inputs.leaves = std::move(*leaves);
  inputs.heads = std::move(*heads);
  inputs.ledger_key = (*installation)->ledger_key->public_key();
  inputs.runs = std::move(*runs);
  inputs.generated_at = SystemClock().now();
  inputs.installation = (*installation)->sieve.sensor;

  auto report = oversight::build_report(inputs, oversight::ReportPeriod{*from, *to});
  if (!report) {
    std::fprintf(stderr, "mamori oversight report: %s\n", report.error().message.c_str());
    return 1;
  }
  std::ofstream out(args.out, std::ios::trunc | std::ios::binary);
  if (args.json) {
    out << oversight::render_json(*report).dump(2) << '\n';
  } else {
    out << oversight::render_html(*report);
  }
  out.close();
  if (!out) {
    std::fprintf(stderr, "mamori oversight report: cannot write %s\n", args.out.c_str());
    return 1;
  }
  std::printf("inspection report written to %s / 検査報告を作成しました\n", args.out.c_str());
  return 0;
}

}  // namespace mamori::cli
