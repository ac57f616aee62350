#include "mamori/scope/special_ranges.h"

#include <array>
#include <vector>

namespace mamori::scope {
namespace {

std::vector<Prefix> build() {
  // Blocks that are globally routable in part (e.g. AS112 inside 2001::/23) are still listed:
  // unknown is the protective answer, because the default policy counts it as domestic.
  constexpr std::array kBlocks = {
      "0.0.0.0/8",        // "this network", RFC 791
      "10.0.0.0/8",       // private, RFC 1918
      "100.64.0.0/10",    // shared address space (CGN), RFC 6598
      "127.0.0.0/8",      // loopback, RFC 1122
      "169.254.0.0/16",   // link local, RFC 3927
      "172.16.0.0/12",    // private, RFC 1918
      "192.0.0.0/24",     // IETF protocol assignments, RFC 6890
      "192.0.2.0/24",     // TEST-NET-1, RFC 5737
      "192.88.99.0/24",   // 6to4 relay anycast, RFC 7526
      "192.168.0.0/16",   // private, RFC 1918
      "198.18.0.0/15",    // benchmarking, RFC 2544
      "198.51.100.0/24",  // TEST-NET-2, RFC 5737
      "203.0.113.0/24",   // TEST-NET-3, RFC 5737
      "224.0.0.0/4",      // multicast, RFC 5771
      "240.0.0.0/4",      // reserved and limited broadcast, RFC 1112, RFC 919
      "::/128",           // unspecified, RFC 4291
      "::1/128",          // loopback, RFC 4291
      "64:ff9b::/96",     // IPv4/IPv6 translation, RFC 6052
      "64:ff9b:1::/48",   // local-use IPv4/IPv6 translation, RFC 8215
      "100::/64",         // discard-only, RFC 6666
      "2001::/23",        // IETF protocol assignments incl. Teredo, RFC 2928, RFC 4380
      "2001:db8::/32",    // documentation, RFC 3849
      "2002::/16",        // 6to4, RFC 3056
      "3fff::/20",        // documentation, RFC 9637
      "5f00::/16",        // SRv6 SIDs, RFC 9602
      "fc00::/7",         // unique local, RFC 4193
      "fe80::/10",        // link-local unicast, RFC 4291
      "ff00::/8",         // multicast, RFC 4291
  };
  std::vector<Prefix> prefixes;
  for (const char* text : kBlocks) prefixes.push_back(*Prefix::parse(text));
  return prefixes;
}

}  // namespace

std::span<const Prefix> special_purpose_prefixes() {
  static const std::vector<Prefix> prefixes = build();
  return prefixes;
}

}  // namespace mamori::scope
