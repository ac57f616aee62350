#include "mamori/sieve/behaviour_setup.h"

#include "mamori/sieve/behaviour_rule.h"

namespace mamori::sieve {

Result<std::vector<BehaviourRule>> behaviour_rules_of(const CompiledRuleset& rules) {
  std::vector<BehaviourRule> out;
  for (RuleIndex rule = 0; rule < rules.rule_count(); ++rule) {
    const auto values = rules.behaviour_values(rule);
    switch (rules.rule_kind(rule)) {
      case RuleKind::scan: {
        auto t = scan_thresholds(values);
        if (!t) return fail(t.error());
        out.push_back({rule, ScanParams{.min_targets = t->min_targets,
                                        .window = t->window,
                                        .min_failed_ratio = t->min_failed_ratio}});
        break;
      }
      case RuleKind::amplification: {
        auto t = amplification_thresholds(values);
        if (!t) return fail(t.error());
        out.push_back({rule, AmplificationParams{.udp_ports = t->ports,
                                                 .min_ratio = t->min_ratio,
                                                 .min_response_bytes = t->min_response_bytes,
                                                 .window = t->window}});
        break;
      }
      case RuleKind::beacon: {
        auto t = beacon_thresholds(values);
        if (!t) return fail(t.error());
        out.push_back({rule, BeaconParams{.min_connections = t->min_connections,
                                          .max_cv = t->max_cv,
                                          .min_interval = t->min_interval,
                                          .max_interval = t->max_interval,
                                          .max_server_clients = t->max_server_clients,
                                          .periodic_ports = t->periodic_ports,
                                          .max_client_series = t->max_client_series}});
        break;
      }
      default:
        break;
    }
  }
  return out;
}

}  // namespace mamori::sieve
