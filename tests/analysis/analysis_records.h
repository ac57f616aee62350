#pragma once
// tests/analysis/analysis_records: hand-built records for the analysis tests. Domestic hosts
// are pseudonyms (epoch 2, as the field policy writes them); foreign servers are in clear
// unless a test pseudonymizes them. Times start at 2026-11-01T00:00:00Z. Randomness (jitter,
// choices) comes from a fixed-seed splitmix64, so every test is deterministic.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/analysis/analyzer.h"
#include "mamori/sieve/record.h"

namespace mamori::analysis::testing {

inline constexpr std::int64_t kStartSeconds = 1'793'491'200;  // 2026-11-01T00:00:00Z
inline constexpr std::uint32_t kDomesticEpoch = 2;

struct Random {
  std::uint64_t state;
  std::uint64_t next();
  double uniform();  // [0, 1)
};

Timestamp at(double seconds_from_start);

// A domestic host as a pseudonym "p2:100.64.<n/256>.<n%256>".
sieve::Endpoint domestic(std::uint32_t n, std::uint16_t port = 50000);
// A foreign endpoint; `epoch` ≠ 0 marks `ip` as a pseudonym (policy "none"/"infrastructure").
sieve::Endpoint foreign(std::string_view ip, std::uint16_t port, std::uint32_t epoch = 0);

struct Shape {
  std::uint64_t bytes_fwd = 600;
  std::uint64_t bytes_rev = 1800;
  std::uint64_t packets_fwd = 6;
  std::uint64_t packets_rev = 5;
  double duration_s = 0.4;
  std::uint8_t protocol = 6;
};

// One flow record: DF when `src` is domestic (a pseudonym) and `dst` foreign, FF when both are
// foreign, FD when only `dst` is domestic.
sieve::Record flow(const sieve::Endpoint& src, const sieve::Endpoint& dst, Timestamp start,
                   const Shape& shape = {});

void add_match(sieve::Record& record, std::string rule, sieve::RuleKind kind,
               std::vector<sieve::Measure> measured = {});
void add_tls(sieve::Record& record, std::string sni, std::string ja3_hash, std::string ja4 = "");

// `count` starts from `start` at `period_s` ± jitter (a fraction of the period).
std::vector<double> beacon_times(double start, double period_s, std::size_t count, double jitter,
                                 Random& random);
// Exponentially distributed gaps (irregular traffic).
std::vector<double> poisson_times(double start, double mean_gap_s, std::size_t count,
                                  Random& random);

// Numbers records as it feeds them to an Analyzer and remembers ids per label.
class Feed {
 public:
  explicit Feed(Analyzer& analyzer) : analyzer_(analyzer) {}
  RecordId add(const sieve::Record& record, std::string_view label = "");
  const std::vector<RecordId>& ids(std::string_view label) const;
  RecordId last() const { return next_ - 1; }

 private:
  Analyzer& analyzer_;
  RecordId next_ = 1;
  std::vector<std::pair<std::string, std::vector<RecordId>>> labels_;
};

// The finding of `kind` about `subject`, or nullptr.
const Finding* find(const AnalysisResult& result, FindingKind kind, std::string_view subject);
// Score of the c2_server finding about `subject` (-1 when absent).
double c2_score(const AnalysisResult& result, std::string_view subject);

}  // namespace mamori::analysis::testing
