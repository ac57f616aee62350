#pragma once
// sieve/matchers: a Ruleset compiled for the packet path. CompiledRuleset is immutable once
// built and shared by all sieve threads without locks; each thread owns a MatchScratch for
// the byte-pattern scan. No match_* or scan_bytes call allocates, throws or writes anything
// anywhere but into the caller's MatchSet / callback (I1: matchers keep no trace of traffic).
//
// What the sieve asks, per flow:
//   match_ip      both endpoint addresses (an `ip` rule matches either endpoint)
//   match_port    the IP protocol and the *service* (responder) port, see port_matcher.h
//   match_domain  DNS query names, TLS SNI, HTTP Host (exact/suffix semantics: domain_matcher.h)
//   match_ja3     the ClientHello's JA3 hash (rules given as full JA3 strings are compiled to
//                 their MD5, so one lookup covers both forms)
//   match_ja4     the ClientHello's JA4
//   scan_bytes    each payload segment within the first inspect_bytes of a direction. Block
//                 mode: a pattern split across two segments is not found.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/sieve/bytes_matcher.h"
#include "mamori/sieve/match_set.h"
#include "mamori/sieve/record.h"
#include "mamori/sieve/ruleset.h"

namespace mamori::sieve {

class CompiledRuleset;

// Per-thread Hyperscan scratch. Not shareable between threads; one scratch may serve several
// compiled rulesets if prepared for each (e.g. across a ruleset reload).
class MatchScratch {
 public:
  MatchScratch() = default;
  MatchScratch(MatchScratch&& other) noexcept;
  MatchScratch& operator=(MatchScratch&& other) noexcept;
  ~MatchScratch();

  // Allocates (or grows) the scratch for `rules`. Call before scanning, off the packet path.
  Result<void> prepare(const CompiledRuleset& rules);

 private:
  friend class CompiledRuleset;
  hs_scratch* scratch_ = nullptr;
};

struct CompileStats {
  std::size_t rules = 0;
  std::size_t ip_prefixes = 0;  // distinct prefixes
  std::size_t domains_exact = 0;
  std::size_t domains_suffix = 0;
  std::size_t ports = 0;  // port values (ranges count once)
  std::size_t ja3 = 0;
  std::size_t ja4 = 0;
  std::size_t bytes_patterns = 0;
  std::size_t behaviour_rules = 0;  // scan, amplification, beacon
  std::size_t memory_bytes = 0;     // matcher tables, Hyperscan database included
  double compile_seconds = 0;       // whole compile
  double bytes_compile_seconds = 0;
};

class CompiledRuleset {
 public:
  // Builds every matcher. Fails only when Hyperscan rejects a pattern (the message names the
  // pattern's file:line and rule) or cannot build the database.
  static Result<CompiledRuleset> compile(const Ruleset& ruleset);

  CompiledRuleset(CompiledRuleset&&) noexcept;
  CompiledRuleset& operator=(CompiledRuleset&&) noexcept;
  ~CompiledRuleset();

  const std::string& hash() const;  // the Ruleset's hash (ruleset.h)
  std::size_t rule_count() const;
  // Index of the rule in Ruleset::rules; precondition: rule < rule_count().
  std::string_view rule_id(RuleIndex rule) const;
  RuleKind rule_kind(RuleIndex rule) const;
  // Whether any rule of `kind` exists, so the sieve can skip work (e.g. no app parsing).
  bool has(RuleKind kind) const;
  // The canonical "name=value" thresholds of a behaviour rule (behaviour_rule.h); empty for
  // indicator rules, whose values live only in the compiled matchers.
  std::span<const std::string> behaviour_values(RuleIndex rule) const;
  // The rule with this id, if any.
  std::optional<RuleIndex> find_rule(std::string_view id) const;
  const CompileStats& stats() const;

  void match_ip(const IpAddress& address, MatchSet& out) const;
  void match_ip_v4(std::uint32_t host_order, MatchSet& out) const;
  void match_port(std::uint8_t ip_protocol, std::uint16_t service_port, MatchSet& out) const;
  void match_domain(std::string_view name, MatchSet& out) const;
  void match_ja3(std::string_view ja3_hash, MatchSet& out) const;
  void match_ja4(std::string_view ja4, MatchSet& out) const;

  // Calls on_hit(const BytesHit&) -> bool for each pattern found in `data` (each pattern at
  // most once per call; return false to stop). Returns false if the scan could not run
  // (scratch not prepared for this ruleset).
  bool scan_bytes(std::span<const std::uint8_t> data, MatchScratch& scratch, BytesHitFn on_hit,
                  void* context) const;
  template <class F>
  bool scan_bytes(std::span<const std::uint8_t> data, MatchScratch& scratch, F&& on_hit) const {
    using Fn = std::remove_reference_t<F>;
    return scan_bytes(
        data, scratch,
        [](void* context, const BytesHit& hit) -> bool {
          return (*static_cast<Fn*>(context))(hit);
        },
        const_cast<void*>(static_cast<const void*>(std::addressof(on_hit))));
  }
  // Convenience: adds every bytes rule found in `data` to `out`.
  bool match_bytes(std::span<const std::uint8_t> data, MatchScratch& scratch, MatchSet& out) const;

  // The command information (指令情報) of a hit: the matched bytes, at most kMaxCommandBytes.
  static std::span<const std::uint8_t> command_bytes(std::span<const std::uint8_t> data,
                                                     const BytesHit& hit);
  // A record Match for a rule (allocates; for selected flows only).
  Match to_match(RuleIndex rule, std::span<const std::uint8_t> command = {}) const;

 private:
  friend class MatchScratch;
  struct Impl;
  explicit CompiledRuleset(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mamori::sieve
