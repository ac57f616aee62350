#include "analysis_records.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace mamori::analysis::testing {

std::uint64_t Random::next() {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Random::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

Timestamp at(double seconds_from_start) {
  return Timestamp{kStartSeconds * 1'000'000'000 +
                   static_cast<std::int64_t>(std::llround(seconds_from_start * 1e6)) * 1000};
}

sieve::Endpoint domestic(std::uint32_t n, std::uint16_t port) {
  sieve::Endpoint e;
  e.ip = IpAddress::v4(0x64400000u | (n & 0xffff));
  e.port = port;
  e.country = scope::kJapan;
  e.pseudonym_epoch = kDomesticEpoch;
  return e;
}

sieve::Endpoint foreign(std::string_view ip, std::uint16_t port, std::uint32_t epoch) {
  sieve::Endpoint e;
  const auto parsed = IpAddress::parse(ip);
  if (!parsed) throw std::invalid_argument("bad test address");
  e.ip = *parsed;
  e.port = port;
  e.country = scope::CountryCode::from("US");
  e.pseudonym_epoch = epoch;
  return e;
}

sieve::Record flow(const sieve::Endpoint& src, const sieve::Endpoint& dst, Timestamp start,
                   const Shape& shape) {
  static std::uint64_t sequence = 0;
  sieve::Record r;
  r.sensor = "gw-test";
  r.flow_id = fmt::format("{:032x}", ++sequence);
  const bool src_domestic = src.country == scope::kJapan;
  const bool dst_domestic = dst.country == scope::kJapan;
  r.category = scope::category_of(src_domestic, dst_domestic);
  r.first_seen = start;
  r.last_seen = start + Duration{static_cast<std::int64_t>(shape.duration_s * 1e6) * 1000};
  r.protocol = shape.protocol;
  r.src = src;
  r.dst = dst;
  r.packets = {shape.packets_fwd, shape.packets_rev};
  r.bytes = {shape.bytes_fwd, shape.bytes_rev};
  r.tcp_flags = shape.protocol == 6 ? 0x1b : 0;
  return r;
}

void add_match(sieve::Record& record, std::string rule, sieve::RuleKind kind,
               std::vector<sieve::Measure> measured) {
  std::sort(measured.begin(), measured.end(),
            [](const sieve::Measure& a, const sieve::Measure& b) { return a.name < b.name; });
  record.matches.push_back({std::move(rule), kind, {}, std::move(measured)});
}

void add_tls(sieve::Record& record, std::string sni, std::string ja3_hash, std::string ja4) {
  sieve::TlsInfo tls;
  tls.sni = std::move(sni);
  tls.version = "1.3";
  tls.ja3_hash = std::move(ja3_hash);
  tls.ja4 = std::move(ja4);
  record.tls = std::move(tls);
}

std::vector<double> beacon_times(double start, double period_s, std::size_t count, double jitter,
                                 Random& random) {
  std::vector<double> times;
  for (std::size_t i = 0; i < count; ++i) {
    const double offset = (random.uniform() * 2.0 - 1.0) * jitter * period_s;
    times.push_back(start + static_cast<double>(i) * period_s + offset);
  }
  std::sort(times.begin(), times.end());
  return times;
}

std::vector<double> poisson_times(double start, double mean_gap_s, std::size_t count,
                                  Random& random) {
  std::vector<double> times;
  double t = start;
  for (std::size_t i = 0; i < count; ++i) {
    t += -mean_gap_s * std::log(1.0 - random.uniform());
    times.push_back(t);
  }
  return times;
}

RecordId Feed::add(const sieve::Record& record, std::string_view label) {
  const RecordId id = next_++;
  analyzer_.add(id, record);
  if (!label.empty()) {
    auto it = std::find_if(labels_.begin(), labels_.end(),
                           [&](const auto& entry) { return entry.first == label; });
    if (it == labels_.end()) {
      labels_.emplace_back(std::string(label), std::vector<RecordId>{});
      it = labels_.end() - 1;
    }
    it->second.push_back(id);
  }
  return id;
}

const std::vector<RecordId>& Feed::ids(std::string_view label) const {
  static const std::vector<RecordId> kEmpty;
  for (const auto& [name, ids] : labels_) {
    if (name == label) return ids;
  }
  return kEmpty;
}

const Finding* find(const AnalysisResult& result, FindingKind kind, std::string_view subject) {
  for (const Finding& f : result.findings) {
    if (f.kind == kind && f.subject == subject) return &f;
  }
  return nullptr;
}

double c2_score(const AnalysisResult& result, std::string_view subject) {
  const Finding* f = find(result, FindingKind::c2_server, subject);
  return f != nullptr ? f->score : -1;
}

}  // namespace mamori::analysis::testing
