#pragma once
// privacy/share: shareable aggregates (提供用選別後情報) derived from selected records. They are
// the only selected communications information that may leave tier 1 (I8): per indicator and
// time bucket, counts and small sets that at least k distinct peers stand behind, labelled
// with the `shareable` provenance that intel's tiering relies on.
//
// What an aggregate is built from (one per indicator and bucket):
//   indicator  each Match of a record: the rule id, its kind and, where it names foreign
//              infrastructure, the matched value (see "Indicator values" below)
//   bucket     [floor(first_seen / window) * window, + window), aligned to the Unix epoch; a
//              record whose first_seen is exactly a bucket end belongs to the next bucket
//   peer       the party the indicator was seen with, whose identity must not leak: the
//              domestic endpoint in FD/DF; in FF, for `ip` rules the endpoint that is not the
//              matched one, for every other kind the initiator. Peers are counted by address
//              and key epoch (pseudonyms count as well as clear addresses) and are never
//              emitted. A host pseudonymized under two key epochs within one bucket counts
//              twice: rotate keys at bucket boundaries (or build over records of one epoch)
//              to keep k exact.
//
// What is emitted, and only when at least k distinct peers stand behind the aggregate:
//   bucket start/end; first/last seen rounded outwards to the bucket grid (first_seen down,
//   last_seen up: a long flow may reach into later buckets); the flow count; the distinct
//   peer count as a range label ("5-9", "1000+") from ShareOptions::peer_count_edges;
//   service (responder) ports, IP protocols and peer countries, each value only if at least
//   k distinct peers stand behind that value itself (a port or country seen with one peer
//   would single it out, e.g. the one victim in a small country). Never a peer address or
//   pseudonym, an initiator (ephemeral) port, a timestamp finer than the bucket, command
//   bytes, or anything of a single flow.
//
// Indicator values. The record keeps which rules matched but not which endpoint or name, so
// the value is recovered either from the approved ruleset (exact) or, without one, from the
// scope category (a documented guess):
//   ip      never a pseudonymized endpoint (field_policy.h keeps matched foreign
//           infrastructure clear by default; under clear = "none" ip values are null).
//           With ruleset: each foreign endpoint whose address is in one of the rule's
//           prefixes (in FD/DF only the foreign side is ever tested or named); FF with both
//           endpoints matching gives two indicators. Without: the foreign side of FD/DF; FF
//           matches cannot be attributed and are only counted (ShareStats).
//           The domestic side is never a value; a rule that matched only it has no value.
//   domain  with ruleset: each rule value (canonical, e.g. "c2.example" or ".example.net")
//           matching a DNS query name, TLS SNI or HTTP Host of the record. The rule value,
//           not the observed name, so labels below a suffix rule (DNS tunnelling, victim ids
//           in DGA names) are never shared. Without ruleset: no value.
//   ja3     the record's JA3 MD5; ja4 the record's JA4 (fingerprints of client software)
//   port, bytes  no value (ports are in `ports`; command bytes are never shared)
// A match whose rule id is missing from the given ruleset, or has another kind there, is
// counted as unattributed and skipped, as is a rule id that is not a valid ruleset id. A JA3
// that is not 32 lower-case hex digits or a JA4 outside [A-Za-z0-9_]{1,64} gives no value.
// Records failing sieve::validate_record, and DD records (never processed), are counted and
// skipped.
//
// JSON form, version 1 (share_to_json): one object per aggregate with exactly these keys:
//   kind "mamori-shareable-aggregate", version 1, provenance "shareable", k, window_seconds,
//   indicator {rule, kind, value: string | null}, bucket_start, bucket_end, first_seen,
//   last_seen (RFC 3339 UTC, whole seconds), flows, distinct_peers (range label),
//   ports [uint16 ascending], ports_truncated (bool), protocols ["tcp", ...],
//   peer_countries ["JP", ...].

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/core/prefix_map.h"
#include "mamori/core/time.h"
#include "mamori/privacy/rule_index.h"
#include "mamori/sieve/record.h"
#include "mamori/sieve/ruleset.h"

namespace mamori::privacy {

inline constexpr std::string_view kShareableProvenance = "shareable";
inline constexpr std::string_view kShareKind = "mamori-shareable-aggregate";
inline constexpr int kShareVersion = 1;

struct ShareOptions {
  // Bucket width: a whole number of seconds, 1s to 30d. Nothing finer is ever emitted.
  Duration window = Duration::seconds(3600);
  // Minimum distinct peers behind an aggregate and behind each port/protocol/country. ≥ 2.
  std::uint32_t k = 5;
  // Lower edges of the distinct-peer ranges above k, strictly ascending. Edges ≤ k are
  // ignored (the first range always starts at k): k=5 gives "5-9", "10-49", ..., "1000+".
  std::vector<std::uint64_t> peer_count_edges = {10, 50, 100, 500, 1000};
  // At most this many ports per aggregate (the ones with most flows; ports_truncated says
  // when more qualified).
  std::size_t max_ports = 16;
};

// Errors name the field: "share: k must be at least 2 (got 1)".
Result<void> validate_share_options(const ShareOptions& options);

// The range label for a distinct-peer count ≥ k under `options`, e.g. "10-49" or "1000+".
std::string peer_count_label(std::uint64_t count, const ShareOptions& options);

struct Indicator {
  std::string rule;
  sieve::RuleKind kind = sieve::RuleKind::ip;
  std::optional<std::string> value;  // foreign infrastructure, rule domain or fingerprint

  auto operator<=>(const Indicator&) const = default;
};

struct ShareAggregate {
  Indicator indicator;
  Timestamp bucket_start;
  Timestamp bucket_end;
  Timestamp first_seen;  // on the bucket grid
  Timestamp last_seen;   // on the bucket grid, may be past bucket_end
  std::uint64_t flows = 0;
  std::string distinct_peers;  // range label, never the exact count
  std::vector<std::uint16_t> ports;
  bool ports_truncated = false;
  std::vector<std::string> protocols;
  std::vector<std::string> peer_countries;

  bool operator==(const ShareAggregate&) const = default;
};

struct ShareStats {
  std::uint64_t records = 0;                // given to add()
  std::uint64_t records_invalid = 0;        // skipped: fails sieve::validate_record
  std::uint64_t records_dd = 0;             // skipped: DD is never processed
  std::uint64_t matches_unattributed = 0;   // skipped: see "Indicator values"
  std::uint64_t aggregates_emitted = 0;     // by the last build()
  std::uint64_t aggregates_suppressed = 0;  // by the last build(): fewer than k peers
};

class ShareBuilder {
 public:
  // Validates the options. The ruleset (optional, see "Indicator values") should be the one
  // the records were selected with; only what is needed is copied out of it.
  static Result<ShareBuilder> create(ShareOptions options, const sieve::Ruleset* ruleset = nullptr);

  void add(const sieve::Record& record);
  void add(std::span<const sieve::Record> records) {
    for (const auto& record : records) add(record);
  }

  // Every aggregate meeting k, ordered by (indicator, bucket_start). Can be called again
  // after more add()s.
  std::vector<ShareAggregate> build();
  const ShareStats& stats() const { return stats_; }
  const ShareOptions& options() const { return options_; }

 private:
  // A peer is its address and key epoch (0: clear): a pseudonym and a clear address with the
  // same bytes are different hosts.
  using Peer = std::pair<std::uint32_t, IpAddress>;
  using PeerSet = std::set<Peer>;
  struct Breakdown {  // one port, protocol or country
    PeerSet peers;    // capped at k: only "≥ k" matters
    std::uint64_t flows = 0;
  };
  struct Cell {
    PeerSet peers;  // capped at the top range edge: only the range matters
    std::uint64_t flows = 0;
    Timestamp first_seen;
    Timestamp last_seen;
    std::map<std::uint16_t, Breakdown> ports;
    std::map<std::uint8_t, Breakdown> protocols;
    std::map<std::uint16_t, Breakdown> countries;  // packed ISO code
  };
  using Key = std::tuple<Indicator, std::int64_t>;  // indicator, bucket start (ns)

  ShareBuilder() = default;
  void add_indicator(Indicator indicator, const sieve::Record& record, const sieve::Endpoint& peer);
  void add_match(const sieve::Record& record, const sieve::Match& match);

  ShareOptions options_;
  std::uint64_t peer_cap_ = 0;
  std::optional<RuleIndex> rules_;
  std::map<Key, Cell> cells_;
  ShareStats stats_;
};

// One-shot form of ShareBuilder.
Result<std::vector<ShareAggregate>> build_shareable(std::span<const sieve::Record> records,
                                                    const ShareOptions& options,
                                                    const sieve::Ruleset* ruleset = nullptr);

// The version-1 JSON object of one aggregate (format above).
nlohmann::json share_to_json(const ShareAggregate& aggregate, const ShareOptions& options);

}  // namespace mamori::privacy
