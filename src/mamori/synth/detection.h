#pragma once
// synth/detection: the detection profile's scenarios, for evaluating behaviour selectors and
// detectors against ground truth (README.md "Detection profile" lists every parameter range):
//   - C2 beaconing with ±5..15 % jitter (TLS with and without SNI, a custom protocol and HTTP
//     on odd ports), and bots hopping across the hosts of one /24 (slowly: each pair stays
//     detectable; fast: no pair is);
//   - fast scans, a worm-like scan from an infected domestic host, a low-and-slow scan the
//     default thresholds catch and stealthy ones they do not;
//   - reflection amplification toward domestic victims via DNS, NTP monlist, memcached and SSDP
//     reflectors abroad (some attacks with only the responses crossing the link), and one below
//     the volume threshold;
//   - benign decoys: NTP clients, update checks, health checks (periodic), a busy client whose
//     many connections are answered, a recursive resolver with ordinary response sizes.
// Every flow is tagged with its actors (actors.h); parameters are drawn per seed from streams
// of their own, so the dry run and the real run build identical schedules.

#include <memory>
#include <vector>

#include "mamori/synth/actors.h"
#include "mamori/synth/scenario.h"

namespace mamori::synth {

// The detection profile's ruleset: one behaviour rule per kind at the given thresholds.
std::vector<SynthRule> detection_rules(const DetectionThresholds& thresholds);

std::vector<std::unique_ptr<Scenario>> make_detection_scenarios(const SynthContext& ctx,
                                                                ActorBook& book);

}  // namespace mamori::synth
