#pragma once
// sieve/behaviour_setup: the behaviour engine's rules from a compiled ruleset's canonical
// (approved) thresholds, for both selection loops: the packet sieve and the flow-record sieve.

#include <vector>

#include "mamori/core/error.h"
#include "mamori/sieve/behaviour.h"
#include "mamori/sieve/matchers.h"

namespace mamori::sieve {

Result<std::vector<BehaviourRule>> behaviour_rules_of(const CompiledRuleset& rules);

}  // namespace mamori::sieve
