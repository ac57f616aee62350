#include "mamori/sieve/matchers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "matcher_test_util.h"

// Counts operator new calls on the current thread while `counting` is set, to prove that the
// matchers do not allocate on the packet path. Every non-aligned form of the global operator
// new/delete is replaced (so memory from any of them is freed by a matching one, which ASan
// checks); they still allocate with malloc, so other tests in this binary see no difference.
namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;

void* counted_malloc(std::size_t size) noexcept {
  if (counting) ++allocations;
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

// noinline: GCC would otherwise see malloc'd memory reach free() through inlined new/delete
// and flag a (false) new/free mismatch.
[[gnu::noinline]] void* operator new(std::size_t size) {
  if (void* p = counted_malloc(size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t size) {
  if (void* p = counted_malloc(size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return counted_malloc(size);
}
[[gnu::noinline]] void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counted_malloc(size);
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace mamori::sieve {
namespace {

using testing::must_compile;
using testing::must_parse;
using testing::TempDir;

std::set<std::string> ids(const CompiledRuleset& rules, const MatchSet& set) {
  std::set<std::string> out;
  for (RuleIndex rule : set.rules()) out.emplace(rules.rule_id(rule));
  return out;
}

// ---- ip ------------------------------------------------------------------------------------

TEST(IpMatcher, NestedPrefixesReportEveryCoveringRule) {
  TempDir dir;
  const auto compiled = must_compile(must_parse(dir, R"(
[[rule]]
id = "wide"
kind = "ip"
value = ["10.0.0.0/8", "2001:db8::/32"]
[[rule]]
id = "narrow"
kind = "ip"
value = ["10.1.0.0/16", "2001:db8:1::/48"]
[[rule]]
id = "host"
kind = "ip"
value = ["10.1.2.3", "10.0.0.0/8"]
[[rule]]
id = "all6"
kind = "ip"
value = "::/0"
)"));
  const auto match = [&](std::string_view text) {
    MatchSet set;
    compiled.match_ip(*IpAddress::parse(text), set);
    return ids(compiled, set);
  };
  using S = std::set<std::string>;
  EXPECT_EQ(match("10.1.2.3"), (S{"wide", "narrow", "host"}));
  EXPECT_EQ(match("10.1.2.4"), (S{"wide", "narrow", "host"}));  // host also lists 10/8
  EXPECT_EQ(match("10.2.0.1"), (S{"wide", "host"}));
  EXPECT_EQ(match("11.0.0.1"), S{});
  EXPECT_EQ(match("2001:db8:1::5"), (S{"wide", "narrow", "all6"}));
  EXPECT_EQ(match("2001:db8:2::5"), (S{"wide", "all6"}));
  EXPECT_EQ(match("fe80::1"), S{"all6"});
  // ::/0 is an IPv6 rule: it does not swallow IPv4 (mapped) addresses.
  EXPECT_EQ(match("192.0.2.1"), S{});
  MatchSet v4;
  compiled.match_ip_v4(0x0a010203, v4);
  EXPECT_EQ(ids(compiled, v4), (S{"wide", "narrow", "host"}));
}

// Random nested prefixes against a brute-force reference (Prefix::contains over all rules).
TEST(IpMatcher, AgreesWithBruteForceOnRandomNestedPrefixes) {
  std::mt19937_64 rng(20240601);
  std::size_t exact_checks = 0;
  std::size_t nested = 0;  // probes inside two or more rules' prefixes
  for (int round = 0; round < 3; ++round) {
    Ruleset ruleset;
    std::vector<std::pair<Prefix, RuleIndex>> all;
    const int rule_count = 40;
    for (int r = 0; r < rule_count; ++r) {
      Rule rule = testing::make_rule("r" + std::to_string(r), RuleKind::ip);
      for (int v = 0; v < 30; ++v) {
        IpAddress address;
        int length;
        if (rng() % 2) {
          // 64 distinct /8s so prefixes nest, but rarely more than MatchSet holds.
          address = IpAddress::v4(
              static_cast<std::uint32_t>(((rng() % 64) + 10) << 24 | (rng() & 0x00ffffff)));
          length = static_cast<int>(rng() % 200 == 0 ? rng() % 8 : 8 + rng() % 25);
        } else {
          std::array<std::uint8_t, 16> bytes{};
          bytes[0] = 0x20;
          bytes[1] = 0x0d;
          bytes[2] = static_cast<std::uint8_t>(rng() % 64);
          for (int i = 3; i < 16; ++i) bytes[i] = static_cast<std::uint8_t>(rng());
          address = IpAddress::v6(bytes);
          length = static_cast<int>(rng() % 200 == 0 ? rng() % 24 : 24 + rng() % 105);
        }
        const Prefix prefix(address, length);
        rule.values.push_back(prefix.to_string());
        all.emplace_back(prefix, r);
      }
      ruleset.rules.push_back(std::move(rule));
    }
    const auto compiled = must_compile(ruleset);
    for (int probe = 0; probe < 3000; ++probe) {
      // Probe inside a random rule prefix most of the time.
      const auto& [base, unused] = all[rng() % all.size()];
      auto bytes = base.address().bytes();
      const int host_bits = base.address().family_bits() - base.length();
      for (int bit = 0; bit < host_bits && bit < 64; ++bit) {
        if (rng() % 2) bytes[15 - bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      }
      const IpAddress address = IpAddress::v6(bytes);
      std::set<RuleIndex> expected;
      for (const auto& [prefix, rule] : all) {
        if (prefix.contains(address)) expected.insert(rule);
      }
      nested += expected.size() >= 2;
      MatchSet got;
      compiled.match_ip(address, got);
      if (expected.size() > MatchSet::kCapacity) {
        EXPECT_EQ(got.size(), MatchSet::kCapacity);
        EXPECT_GT(got.overflow(), 0u);
        for (RuleIndex rule : got.rules()) EXPECT_TRUE(expected.count(rule));
      } else {
        ++exact_checks;
        EXPECT_EQ(std::set<RuleIndex>(got.rules().begin(), got.rules().end()), expected)
            << address.to_string();
      }
    }
  }
  EXPECT_GT(exact_checks, 3u * 3000 * 3 / 4);  // the overflow branch must stay the exception
  EXPECT_GT(nested, 3u * 3000 / 5) << "the data must exercise nesting";
}

// ---- domain --------------------------------------------------------------------------------

TEST(DomainMatcher, ExactAndSuffixOnLabelBoundaries) {
  TempDir dir;
  const auto compiled = must_compile(must_parse(dir, R"(
[[rule]]
id = "suffix"
kind = "domain"
value = ".example.net"
[[rule]]
id = "wild"
kind = "domain"
value = "*.example.net"
[[rule]]
id = "exact"
kind = "domain"
value = ["evil.example.org", "example.net"]
)"));
  const auto match = [&](std::string_view name) {
    MatchSet set;
    compiled.match_domain(name, set);
    return ids(compiled, set);
  };
  using S = std::set<std::string>;
  EXPECT_EQ(match("a.example.net"), (S{"suffix", "wild"}));
  EXPECT_EQ(match("x.y.example.net"), (S{"suffix", "wild"}));
  EXPECT_EQ(match("example.net"), S{"exact"});  // a suffix rule does not match its apex
  EXPECT_EQ(match("badexample.net"), S{});
  EXPECT_EQ(match("a.badexample.net"), S{});
  EXPECT_EQ(match("example.net.evil.com"), S{});
  EXPECT_EQ(match(".example.net"), S{});  // an empty first label is not a name below it
  EXPECT_EQ(match("evil.example.org"), S{"exact"});
  EXPECT_EQ(match("a.evil.example.org"), S{});  // exact means exact
  EXPECT_EQ(match("EVIL.Example.ORG"), S{"exact"});
  EXPECT_EQ(match("evil.example.org."), S{"exact"});
  EXPECT_EQ(match("A.EXAMPLE.NET."), (S{"suffix", "wild"}));
  EXPECT_EQ(match(""), S{});
  EXPECT_EQ(match("."), S{});
  EXPECT_EQ(match(std::string(300, 'a') + ".example.net"), S{});  // longer than any name
}

// Reference: a name matches exact rule e iff lower(name) == e, and suffix rule .s iff
// lower(name) ends with ".s" and is longer than it.
TEST(DomainMatcher, AgreesWithReferenceOnRandomNames) {
  std::mt19937_64 rng(7);
  const std::vector<std::string> labels = {"a",   "b",  "ex",  "example", "net",
                                           "com", "c2", "x-y", "_srv",    "xn--p1ai"};
  const auto random_name = [&](int max_labels) {
    std::string name;
    const int count = 1 + static_cast<int>(rng() % max_labels);
    for (int i = 0; i < count; ++i) {
      if (i) name += '.';
      name += labels[rng() % labels.size()];
    }
    return name;
  };
  Ruleset ruleset;
  std::vector<std::pair<std::string, RuleIndex>> values;
  for (RuleIndex r = 0; r < 30; ++r) {
    Rule rule = testing::make_rule("d" + std::to_string(r), RuleKind::domain);
    for (int v = 0; v < 5; ++v) {
      const std::string value = (rng() % 2 ? "." : "") + random_name(3);
      rule.values.push_back(value);
      values.emplace_back(value, r);
    }
    ruleset.rules.push_back(std::move(rule));
  }
  const auto compiled = must_compile(ruleset);
  for (int probe = 0; probe < 20000; ++probe) {
    std::string name = random_name(5);
    if (rng() % 4 == 0) {
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::set<RuleIndex> expected;
    for (const auto& [value, rule] : values) {
      const bool hit = value.front() == '.' ? lower.size() > value.size() && lower.ends_with(value)
                                            : lower == value;
      if (hit) expected.insert(rule);
    }
    MatchSet got;
    compiled.match_domain(name, got);
    if (expected.size() <= MatchSet::kCapacity) {
      EXPECT_EQ(std::set<RuleIndex>(got.rules().begin(), got.rules().end()), expected) << name;
    }
  }
}

// ---- port, ja3, ja4 ------------------------------------------------------------------------

TEST(PortMatcher, ProtocolsRangesAndServicePort) {
  TempDir dir;
  const auto compiled = must_compile(must_parse(dir, R"(
[[rule]]
id = "any443"
kind = "port"
value = 443
[[rule]]
id = "dns"
kind = "port"
value = "udp/53"
[[rule]]
id = "high"
kind = "port"
value = ["tcp/8000-8100", "tcp/65535"]
)"));
  const auto match = [&](std::uint8_t protocol, std::uint16_t port) {
    MatchSet set;
    compiled.match_port(protocol, port, set);
    return ids(compiled, set);
  };
  using S = std::set<std::string>;
  EXPECT_EQ(match(6, 443), S{"any443"});
  EXPECT_EQ(match(17, 443), S{"any443"});
  EXPECT_EQ(match(132, 443), S{"any443"});  // SCTP: only protocol-less rules
  EXPECT_EQ(match(17, 53), S{"dns"});
  EXPECT_EQ(match(6, 53), S{});
  EXPECT_EQ(match(6, 7999), S{});
  EXPECT_EQ(match(6, 8000), S{"high"});
  EXPECT_EQ(match(6, 8100), S{"high"});
  EXPECT_EQ(match(6, 8101), S{});
  EXPECT_EQ(match(17, 8050), S{});
  EXPECT_EQ(match(6, 65535), S{"high"});
  EXPECT_EQ(match(6, 0), S{});
}

TEST(FingerprintMatchers, Ja3ByHashOrFullStringAndJa4) {
  TempDir dir;
  // JA3 example from the JA3 README (salesforce/ja3): this string's MD5 is
  // ada70206e40642a3e4461f35503241d5 (checked with Python hashlib.md5).
  const auto compiled = must_compile(must_parse(dir, R"(
[[rule]]
id = "by-string"
kind = "ja3"
value = "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"
[[rule]]
id = "by-hash"
kind = "ja3"
value = "ADA70206E40642A3E4461F35503241D5"
[[rule]]
id = "other"
kind = "ja3"
value = "00000000000000000000000000000000"
[[rule]]
id = "ja4"
kind = "ja4"
value = "t13d1516h2_8daaf6152771_e5627efa2ab1"
)"));
  using S = std::set<std::string>;
  MatchSet ja3;
  compiled.match_ja3("ada70206e40642a3e4461f35503241d5", ja3);
  EXPECT_EQ(ids(compiled, ja3), (S{"by-string", "by-hash"}));
  MatchSet none;
  compiled.match_ja3("ada70206e40642a3e4461f35503241d6", none);
  compiled.match_ja3("", none);
  compiled.match_ja4("t13d1516h2_8daaf6152771_e5627efa2ab2", none);
  EXPECT_TRUE(none.empty());
  MatchSet ja4;
  compiled.match_ja4("t13d1516h2_8daaf6152771_e5627efa2ab1", ja4);
  EXPECT_EQ(ids(compiled, ja4), S{"ja4"});
  EXPECT_TRUE(compiled.has(RuleKind::ja3));
  EXPECT_FALSE(compiled.has(RuleKind::bytes));
}

// ---- the compiled ruleset as a whole -------------------------------------------------------

TEST(CompiledRuleset, RuleTableStatsAndRecordMatches) {
  TempDir dir;
  const auto ruleset = must_parse(dir, R"(
[[rule]]
id = "i"
kind = "ip"
value = ["192.0.2.0/24", "192.0.2.0/24"]
[[rule]]
id = "d"
kind = "domain"
value = ["a.example", ".example"]
[[rule]]
id = "b"
kind = "bytes"
value = "hex:00"
)");
  const auto compiled = must_compile(ruleset);
  EXPECT_EQ(compiled.hash(), ruleset.hash);
  ASSERT_EQ(compiled.rule_count(), 3u);
  EXPECT_EQ(compiled.rule_id(1), "d");
  EXPECT_EQ(compiled.rule_kind(2), RuleKind::bytes);
  EXPECT_EQ(compiled.stats().rules, 3u);
  EXPECT_EQ(compiled.stats().ip_prefixes, 1u);
  EXPECT_EQ(compiled.stats().domains_exact, 1u);
  EXPECT_EQ(compiled.stats().domains_suffix, 1u);
  EXPECT_EQ(compiled.stats().bytes_patterns, 1u);
  EXPECT_GT(compiled.stats().memory_bytes, 0u);
  const std::vector<std::uint8_t> long_command(100, 0x41);
  const Match match = compiled.to_match(2, long_command);
  EXPECT_EQ(match.rule, "b");
  EXPECT_EQ(match.kind, RuleKind::bytes);
  EXPECT_EQ(match.command.size(), kMaxCommandBytes);
  EXPECT_TRUE(compiled.to_match(0).command.empty());
}

TEST(MatchSet, DeduplicatesAndCountsOverflow) {
  MatchSet set;
  EXPECT_TRUE(set.add(3));
  EXPECT_FALSE(set.add(3));
  for (RuleIndex r = 10; r < 10 + MatchSet::kCapacity; ++r) set.add(r);
  EXPECT_EQ(set.size(), MatchSet::kCapacity);
  EXPECT_EQ(set.overflow(), 1u);
  EXPECT_TRUE(set.contains(3));
  set.clear();
  EXPECT_TRUE(set.empty());
  EXPECT_EQ(set.overflow(), 0u);
}

TEST(CompiledRuleset, HotPathDoesNotAllocateAndIsSharedAcrossThreads) {
  TempDir dir;
  const auto compiled = must_compile(must_parse(dir, R"(
[[rule]]
id = "i"
kind = "ip"
value = ["192.0.2.0/24", "2001:db8::/32"]
[[rule]]
id = "d"
kind = "domain"
value = [".example.net", "c2.example.org"]
[[rule]]
id = "p"
kind = "port"
value = "tcp/4444"
[[rule]]
id = "f"
kind = "ja4"
value = "t13d1516h2_8daaf6152771_e5627efa2ab1"
[[rule]]
id = "b"
kind = "bytes"
value = ["PING", "hex:deadbeef"]
)"));
  const std::string payload = "xxPINGyy\xde\xad\xbe\xef";
  const auto run = [&](MatchScratch& scratch) {
    MatchSet set;
    compiled.match_ip(*IpAddress::parse("192.0.2.9"), set);
    compiled.match_ip_v4(0xc0000209, set);
    compiled.match_domain("www.example.net", set);
    compiled.match_port(6, 4444, set);
    compiled.match_ja3("ada70206e40642a3e4461f35503241d5", set);
    compiled.match_ja4("t13d1516h2_8daaf6152771_e5627efa2ab1", set);
    std::size_t hits = 0;
    EXPECT_TRUE(compiled.scan_bytes(testing::bytes_of(payload), scratch, [&](const BytesHit&) {
      ++hits;
      return true;
    }));
    compiled.match_bytes(testing::bytes_of(payload), scratch, set);
    return std::make_pair(set.size(), hits);
  };
  MatchScratch scratch;
  ASSERT_TRUE(scratch.prepare(compiled));
  counting = true;
  allocations = 0;
  const auto result = run(scratch);
  counting = false;
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(result, std::make_pair(std::size_t{5}, std::size_t{2}));

  std::atomic<int> agreeing{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      MatchScratch own;
      if (!own.prepare(compiled)) return;
      bool same = true;
      for (int i = 0; i < 2000; ++i) same = same && run(own) == result;
      if (same) ++agreeing;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(agreeing.load(), 4);
}

}  // namespace
}  // namespace mamori::sieve
