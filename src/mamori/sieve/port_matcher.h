#pragma once
// sieve/port_matcher: `port` rules. The sieve asks with the flow's *service* port (the
// responder's port) and its IP protocol: a rule "tcp/4444" matches TCP flows to port 4444,
// "udp/53" UDP flows to 53, and a bare "443" any transport protocol that has ports. Matching
// either endpoint would select unrelated flows whose ephemeral client port happens to equal a
// rule's port, so the client port is deliberately not matched.

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "mamori/sieve/rule_lists.h"
#include "mamori/sieve/rule_value.h"

namespace mamori::sieve {

class PortMatcher {
 public:
  void build(const std::vector<std::pair<PortRange, RuleIndex>>& ranges, RuleLists& lists);

  // The rule list id for a flow of `ip_protocol` (6 TCP, 17 UDP, ...) to `port`, or kNone.
  std::uint32_t find(std::uint8_t ip_protocol, std::uint16_t port) const {
    const Table& table = tables_[ip_protocol == 6 ? 0 : ip_protocol == 17 ? 1 : 2];
    if (table.bits.empty() || !(table.bits[port >> 6] >> (port & 63) & 1)) {
      return RuleLists::kNone;
    }
    return table.lists[port];
  }

  bool empty() const { return entries_ == 0; }
  std::size_t memory_bytes() const;

 private:
  // Per protocol class (TCP, UDP, other): "any" rules are folded into all three, so a lookup
  // is one bit test and, on a hit, one array read. Both vectors stay empty when unused.
  struct Table {
    std::vector<std::uint64_t> bits;   // 65536 bits
    std::vector<std::uint32_t> lists;  // 65536 list ids
  };
  std::array<Table, 3> tables_;
  std::size_t entries_ = 0;
};

}  // namespace mamori::sieve
