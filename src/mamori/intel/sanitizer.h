#pragma once
// intel/sanitizer: derives the T2 and T3 forms of a T1 product (invariant I8) by dropping or
// generalising labelled parts and notes, and checks that a product holds only what its tier
// allows. A part that may not appear at the tier is generalised when it is an ip/cidr
// indicator whose author allowed it (generalisable) and the rules allow it — the address
// becomes its /24 (IPv4) or /48 (IPv6) prefix and loses the comm_info label — and dropped
// otherwise. An essential part that would be dropped makes the derivation fail with an error
// naming the part and the label; it is never dropped silently. What happened to each part is
// kept in a DerivationReport (part ids and reasons only, never values).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/intel/product.h"

namespace mamori::intel {

struct SanitizerRules {
  bool generalise_addresses = true;  // false: every forbidden address is dropped
  int ipv4_prefix_length = 24;
  int ipv6_prefix_length = 48;
};

// The first label `labels` holds that `tier` forbids ("comm_info", "secret"), or nullopt.
std::optional<std::string> forbidden_label(const Labels& labels, Tier tier);

enum class DerivationAction { kept, generalised, dropped };
std::string_view to_string(DerivationAction action);

struct DerivationStep {
  std::string item = {};  // "part 'c2-address'" or "note strategic/ja"
  DerivationAction action = DerivationAction::kept;
  std::string reason = {};  // e.g. "labelled comm_info; reduced to /24"
};

struct DerivationReport {
  std::string product_id = {};
  std::uint32_t product_version = 0;
  std::string target = {};  // "T2", or a provision type such as "individual_analysis"
  std::vector<DerivationStep> steps = {};

  std::size_t count(DerivationAction action) const;
  void add(std::string item, DerivationAction action, std::string reason);
  nlohmann::json to_json() const;
};

struct Derivation {
  Product product;
  DerivationReport report;
};

// What to do with one part at a tier; `generalised` holds the replacement when generalising.
struct PartOutcome {
  DerivationAction action = DerivationAction::kept;
  std::string reason = {};
  std::optional<Part> generalised = {};
};
PartOutcome sanitize_part(const Part& part, Tier tier, const SanitizerRules& rules);

// Derives `tier` from a stored T1 product. T1 gives a copy. Errors: the source is not T1, an
// essential part cannot be made clean (the error names the product, part and label), or
// nothing would be left.
Result<Derivation> derive_tier(const Product& source, Tier tier, const SanitizerRules& rules = {});

// Every part and note of `product` is allowed at `tier`; else an error naming the first
// violation. derive_tier checks its own output with it; storage and exporters may too.
Result<void> check_tier(const Product& product, Tier tier);

}  // namespace mamori::intel
