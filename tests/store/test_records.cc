#include "test_records.h"

#include <random>

#include <fmt/format.h>

namespace mamori::store::testing {
namespace {

// 2026-11-22T00:00:00Z.
constexpr std::int64_t kBaseSeconds = 1795305600;

IpAddress pick_address(std::mt19937_64& rng, bool v6) {
  const auto host = static_cast<std::uint8_t>(1 + rng() % 20);
  if (v6) {
    std::array<std::uint8_t, 16> bytes = {0x20, 0x01, 0x0d,
                                          0xb8, 0,    static_cast<std::uint8_t>(1 + rng() % 2)};
    bytes[15] = host;
    return IpAddress::v6(bytes);
  }
  constexpr std::uint32_t kBlocks[] = {0xc6336400, 0xcb007100, 0xc0000200};  // 198.51.100/24,
                                                                             // 203.0.113/24,
                                                                             // 192.0.2/24
  return IpAddress::v4(kBlocks[rng() % 3] | host);
}

}  // namespace

std::string flow_id_for(std::uint64_t sequence) { return fmt::format("{:032x}", sequence); }

std::uint64_t sequence_of(const sieve::Record& record) {
  if (record.flow_id.size() != 32 || record.flow_id.compare(0, 16, std::string(16, '0')) != 0) {
    return UINT64_MAX;
  }
  return std::stoull(record.flow_id.substr(16), nullptr, 16);
}

std::vector<sieve::Record> make_records(std::uint64_t first, std::size_t count,
                                        std::uint64_t seed) {
  std::vector<sieve::Record> records;
  records.reserve(count);
  for (std::uint64_t sequence = first; sequence < first + count; ++sequence) {
    // Seeded per record, so a record's content does not depend on how the range was split.
    std::mt19937_64 rng(seed ^ (sequence * 0x9e3779b97f4a7c15ULL));
    sieve::Record r;
    r.sensor = sequence % 5 == 0 ? "gw-2" : "gw-1";
    r.flow_id = flow_id_for(sequence);
    constexpr scope::Category kCategories[] = {scope::Category::FF, scope::Category::FD,
                                               scope::Category::DF};
    r.category = kCategories[rng() % 3];
    const std::int64_t first_micros =
        (kBaseSeconds + static_cast<std::int64_t>(sequence)) * 1'000'000 +
        static_cast<std::int64_t>(rng() % 1'000'000);
    r.first_seen = Timestamp::from_micros(first_micros);
    r.last_seen =
        Timestamp::from_micros(first_micros + static_cast<std::int64_t>(rng() % 60'000'000));
    constexpr std::uint8_t kProtocols[] = {6, 17, 1};
    r.protocol = kProtocols[rng() % 3];
    const bool v6 = rng() % 10 < 3;
    r.src = {pick_address(rng, v6), static_cast<std::uint16_t>(1024 + rng() % 60000),
             scope::CountryCode::from(rng() % 2 ? "US" : "DE")};
    r.dst = {pick_address(rng, v6), static_cast<std::uint16_t>(rng() % 2 ? 443 : 53),
             rng() % 4 ? scope::kJapan : scope::CountryCode{}};
    r.packets = {rng() % 1000, rng() % 1000};
    r.bytes = {rng() % 10'000'000, rng() % 10'000'000};
    r.tcp_flags = r.protocol == 6 ? static_cast<std::uint8_t>(rng() & 0xff) : 0;
    if (rng() % 3 == 0) {
      r.dns.push_back(
          {"c2.example.net", 1, static_cast<std::uint8_t>(rng() % 4), {IpAddress::v4(0xcb007105)}});
      r.dns.push_back({"x.example", 28, std::nullopt, {}});
    }
    if (rng() % 2 == 0) {
      r.tls = sieve::TlsInfo{rng() % 4 == 0 ? "例え.テスト" : "c2.example.net",
                             {"h2", "http/1.1"},
                             "1.3",
                             "771,4865-4866,0-23-65281,29-23-24,0",
                             "3a366762f6c191d06acf4daf46ecd6ca",
                             "t13d1516h2_8daaf6152771_e5627efa2ab1"};
    }
    if (rng() % 4 == 0) r.http.push_back({"GET", "c2.example.net", "Mozilla/5.0"});
    const std::uint64_t rule_bits = rng() % 16;
    constexpr sieve::RuleKind kKinds[] = {sieve::RuleKind::ip, sieve::RuleKind::domain,
                                          sieve::RuleKind::bytes, sieve::RuleKind::ja3};
    for (std::size_t i = 0; i < 4; ++i) {
      if ((rule_bits >> i & 1) == 0) continue;
      sieve::Match match{kRules[i], kKinds[i], {}};
      if (match.kind == sieve::RuleKind::bytes) match.command = {0x90, 0x90, 0xcc, 0xeb, 0xfe};
      r.matches.push_back(std::move(match));
    }
    // Some endpoints are pseudonyms (I5) under epoch 1 or 2; drawn last so that the fields
    // above do not depend on it.
    const std::uint64_t pseudonyms = rng() % 8;
    if (pseudonyms < 3) r.src.pseudonym_epoch = static_cast<std::uint32_t>(1 + pseudonyms % 2);
    if (pseudonyms == 1 || pseudonyms == 5) r.dst.pseudonym_epoch = 2;
    records.push_back(std::move(r));
  }
  return records;
}

}  // namespace mamori::store::testing
