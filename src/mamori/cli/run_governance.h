#pragma once
// cli/run_governance: what every selection run (`mamori sieve`, `mamori collect`) does around
// its loop, in one place: the approvals it runs under (I4: checked, refusals recorded on the
// ledger, approvals recorded once), the field policy that de-identifies its records (I5), and
// where its records go (the sensor's store, or the central site when `publish` is set).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/cli/sensor_setup.h"
#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/governance/approval.h"
#include "mamori/privacy/field_policy.h"
#include "mamori/scope/category.h"
#include "mamori/site/installation.h"
#include "mamori/store/store.h"

namespace mamori::cli {

// The categories of `set` as a JSON list ("FF", "FD", "DF").
nlohmann::json category_list(const scope::CategorySet& set);

// The approvals a run is under: together they must cover every configured category, and each
// must be valid for this sensor, ruleset, inspection budget and time (I4). Each legal basis is
// its own measure under the Act, so a sensor authorized for FF, FD and DF runs under three
// approvals. A party agreement (当事者協定) narrows scope to the party's prefixes and is
// therefore the only approval of its run.
struct Coverage {
  std::vector<governance::Approval> approvals;
  Timestamp not_after;  // the earliest expiry: selection stops there
  std::string ids() const {
    std::string out;
    for (const auto& approval : approvals) out += (out.empty() ? "" : ",") + approval.id();
    return out;
  }
  std::string bases() const {
    std::string out;
    for (const auto& approval : approvals) {
      out += (out.empty() ? "" : ",") + std::string(governance::to_string(approval.request.basis));
    }
    return out;
  }
};

// Checks the approvals at `paths` against the sensor (I4); on refusal prints the reason
// prefixed with `command`, records it on the ledger and returns false.
bool approvals_cover(site::Installation& installation, const Sensor& sensor,
                     const std::vector<std::string>& paths, Coverage& coverage,
                     std::string_view command);

// An approval enters the ledger when it is granted (`mamori approve --config`) or, at the
// latest, when a run first uses it.
Result<void> record_approval_once(site::Installation& installation,
                                  const governance::Approval& approval);

// The field policy that de-identifies every record of the run (I5); needs the pseudonym key.
Result<privacy::FieldPolicy> open_field_policy(const Sensor& sensor,
                                               const std::string& config_path);

nlohmann::json deidentification_json(const privacy::FieldPolicyStats& stats);

struct StartedRun {
  store::RunId id = 0;
  store::RunInfo info = {};
};

// Begins the run in `writer` (its bookkeeping: sensor, hashes, approvals, legal basis,
// retention, `input`) and records run.started on the ledger with the de-identification in force.
Result<StartedRun> begin_recorded_run(site::Installation& installation, const Sensor& sensor,
                                      const Coverage& coverage, const privacy::FieldPolicy& policy,
                                      store::RunWriter& writer, std::string input);

// Where the run's records go: the sensor's store, or with `publish = "nats://…"` (issue 9) a
// publisher that carries them to the central site, spooling while it is unreachable.
Result<std::unique_ptr<store::RunWriter>> open_run_writer(const Sensor& sensor);

}  // namespace mamori::cli
