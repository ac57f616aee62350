#pragma once
// synth/dns_message: DNS messages in wire format (RFC 1035) with name compression
// (§4.1.4), EDNS(0) OPT records (RFC 6891), and the record types the scenarios need.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/ip.h"
#include "mamori/synth/byte_writer.h"
#include "mamori/synth/prng.h"

namespace mamori::synth {

namespace dns_type {
inline constexpr std::uint16_t a = 1;
inline constexpr std::uint16_t ns = 2;
inline constexpr std::uint16_t cname = 5;
inline constexpr std::uint16_t soa = 6;
inline constexpr std::uint16_t mx = 15;
inline constexpr std::uint16_t txt = 16;
inline constexpr std::uint16_t aaaa = 28;
inline constexpr std::uint16_t opt = 41;
inline constexpr std::uint16_t any = 255;
}  // namespace dns_type

// EDNS option code from the local/experimental range (RFC 6891 §9) carrying the canary.
inline constexpr std::uint16_t kCanaryEdnsOption = 65001;

// Writes one message; names are compressed against every name written before in it.
class DnsWriter {
 public:
  explicit DnsWriter(std::vector<std::uint8_t>& out);

  void header(std::uint16_t id, std::uint16_t flags, std::uint16_t questions, std::uint16_t answers,
              std::uint16_t authority, std::uint16_t additional);
  void name(std::string_view name);
  void question(std::string_view name, std::uint16_t type);
  void a(std::string_view name, std::uint32_t ttl, const IpAddress& address);
  void aaaa(std::string_view name, std::uint32_t ttl, const IpAddress& address);
  void cname(std::string_view name, std::uint32_t ttl, std::string_view target);
  void ns(std::string_view name, std::uint32_t ttl, std::string_view target);
  void mx(std::string_view name, std::uint32_t ttl, std::uint16_t preference,
          std::string_view exchange);
  // One TXT record; each string at most 255 bytes.
  void txt(std::string_view name, std::uint32_t ttl, std::span<const std::string> strings);
  void soa(std::string_view name, std::uint32_t ttl, std::string_view primary,
           std::string_view mailbox, std::uint32_t serial);
  // OPT pseudo-record; `option` (code kCanaryEdnsOption) is left out when empty.
  void opt(std::uint16_t udp_size, std::span<const std::uint8_t> option);

  std::size_t size() const { return writer_.size() - base_; }

 private:
  void record_start(std::string_view name, std::uint16_t type, std::uint32_t ttl);
  struct Known {
    std::string suffix;  // lower-case, dot-separated, no trailing dot
    std::uint16_t offset;
  };
  ByteWriter writer_;
  std::size_t base_;
  std::vector<Known> known_;
};

// A standard recursive query (RD set) with an EDNS(0) OPT record.
void write_dns_query(std::vector<std::uint8_t>& out, std::uint16_t id, std::string_view name,
                     std::uint16_t type, std::span<const std::uint8_t> canary);

struct DnsAnswer {
  std::vector<std::string> cnames;  // chain from the question name, in order
  std::vector<IpAddress> addresses;
  bool nxdomain = false;
};

// The response to write_dns_query with the given answer records.
void write_dns_response(std::vector<std::uint8_t>& out, std::uint16_t id, std::string_view name,
                        std::uint16_t type, const DnsAnswer& answer,
                        std::span<const std::uint8_t> canary, Rng& rng);

// A large ANY or TXT response as open resolvers return in reflection attacks, close to
// `target_size` bytes (≤ target_size) without needing IP fragmentation.
void write_dns_amplified_response(std::vector<std::uint8_t>& out, std::uint16_t id,
                                  std::string_view name, std::uint16_t type,
                                  std::size_t target_size, Rng& rng);

}  // namespace mamori::synth
