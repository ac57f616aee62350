#pragma once
// scope/special_ranges: the special-purpose address blocks (private, loopback, link-local,
// documentation, multicast, ...) that the country table always treats as unknown, whatever a
// database says about them, so that they fall to the configured unknown-address policy.

#include <span>

#include "mamori/core/ip.h"

namespace mamori::scope {

// IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and later updates), plus
// multicast and the reserved class E block. The blocks do not nest.
std::span<const Prefix> special_purpose_prefixes();

}  // namespace mamori::scope
