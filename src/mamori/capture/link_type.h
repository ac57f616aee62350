#pragma once
// capture/link_type: the tcpdump.org LINKTYPE_ values that mamori decodes.

#include <cstdint>

namespace mamori::capture {

enum class LinkType : std::uint16_t {
  ethernet = 1,      // LINKTYPE_ETHERNET
  raw = 101,         // LINKTYPE_RAW: IPv4 or IPv6 by the version nibble
  linux_sll = 113,   // LINKTYPE_LINUX_SLL
  ipv4 = 228,        // LINKTYPE_IPV4
  ipv6 = 229,        // LINKTYPE_IPV6
  linux_sll2 = 276,  // LINKTYPE_LINUX_SLL2
};

}  // namespace mamori::capture
