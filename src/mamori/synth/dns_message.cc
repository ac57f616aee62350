#include "mamori/synth/dns_message.h"

#include <algorithm>

namespace mamori::synth {
namespace {

constexpr std::uint16_t kClassIn = 1;

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string random_token(Rng& rng, std::size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out(length, 'A');
  for (auto& c : out) c = kAlphabet[rng.below(64)];
  return out;
}

}  // namespace

DnsWriter::DnsWriter(std::vector<std::uint8_t>& out) : writer_(out), base_(out.size()) {}

void DnsWriter::header(std::uint16_t id, std::uint16_t flags, std::uint16_t questions,
                       std::uint16_t answers, std::uint16_t authority, std::uint16_t additional) {
  writer_.u16(id);
  writer_.u16(flags);
  writer_.u16(questions);
  writer_.u16(answers);
  writer_.u16(authority);
  writer_.u16(additional);
}

void DnsWriter::name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string rest = lower(name);
  while (!rest.empty()) {
    const auto known = std::find_if(known_.begin(), known_.end(),
                                    [&](const Known& k) { return k.suffix == rest; });
    if (known != known_.end()) {
      writer_.u16(static_cast<std::uint16_t>(0xc000 | known->offset));
      return;
    }
    const std::size_t offset = size();
    if (offset < 0x3fff) known_.push_back({rest, static_cast<std::uint16_t>(offset)});
    const auto dot = rest.find('.');
    const std::string_view label =
        std::string_view(rest).substr(0, dot == std::string::npos ? rest.size() : dot);
    writer_.u8(static_cast<std::uint8_t>(std::min<std::size_t>(label.size(), 63)));
    writer_.text(label.substr(0, 63));
    rest = dot == std::string::npos ? std::string() : rest.substr(dot + 1);
  }
  writer_.u8(0);
}

void DnsWriter::question(std::string_view name, std::uint16_t type) {
  this->name(name);
  writer_.u16(type);
  writer_.u16(kClassIn);
}

void DnsWriter::record_start(std::string_view name, std::uint16_t type, std::uint32_t ttl) {
  this->name(name);
  writer_.u16(type);
  writer_.u16(kClassIn);
  writer_.u32(ttl);
}

void DnsWriter::a(std::string_view name, std::uint32_t ttl, const IpAddress& address) {
  record_start(name, dns_type::a, ttl);
  writer_.u16(4);
  writer_.bytes(std::span(address.bytes()).subspan(12));
}

void DnsWriter::aaaa(std::string_view name, std::uint32_t ttl, const IpAddress& address) {
  record_start(name, dns_type::aaaa, ttl);
  writer_.u16(16);
  writer_.bytes(address.bytes());
}

void DnsWriter::cname(std::string_view name, std::uint32_t ttl, std::string_view target) {
  record_start(name, dns_type::cname, ttl);
  const auto length = writer_.reserve_u16();
  this->name(target);
  writer_.patch_length(length, 2);
}

void DnsWriter::ns(std::string_view name, std::uint32_t ttl, std::string_view target) {
  record_start(name, dns_type::ns, ttl);
  const auto length = writer_.reserve_u16();
  this->name(target);
  writer_.patch_length(length, 2);
}

void DnsWriter::mx(std::string_view name, std::uint32_t ttl, std::uint16_t preference,
                   std::string_view exchange) {
  record_start(name, dns_type::mx, ttl);
  const auto length = writer_.reserve_u16();
  writer_.u16(preference);
  this->name(exchange);
  writer_.patch_length(length, 2);
}

void DnsWriter::txt(std::string_view name, std::uint32_t ttl,
                    std::span<const std::string> strings) {
  record_start(name, dns_type::txt, ttl);
  const auto length = writer_.reserve_u16();
  for (const auto& s : strings) {
    const std::size_t n = std::min<std::size_t>(s.size(), 255);
    writer_.u8(static_cast<std::uint8_t>(n));
    writer_.text(std::string_view(s).substr(0, n));
  }
  writer_.patch_length(length, 2);
}

void DnsWriter::soa(std::string_view name, std::uint32_t ttl, std::string_view primary,
                    std::string_view mailbox, std::uint32_t serial) {
  record_start(name, dns_type::soa, ttl);
  const auto length = writer_.reserve_u16();
  this->name(primary);
  this->name(mailbox);
  writer_.u32(serial);
  writer_.u32(7200);     // refresh
  writer_.u32(3600);     // retry
  writer_.u32(1209600);  // expire
  writer_.u32(300);      // minimum
  writer_.patch_length(length, 2);
}

void DnsWriter::opt(std::uint16_t udp_size, std::span<const std::uint8_t> option) {
  writer_.u8(0);  // root name
  writer_.u16(dns_type::opt);
  writer_.u16(udp_size);
  writer_.u32(0);  // extended rcode, version 0, flags
  if (option.empty()) {
    writer_.u16(0);
    return;
  }
  writer_.u16(static_cast<std::uint16_t>(4 + option.size()));
  writer_.u16(kCanaryEdnsOption);
  writer_.u16(static_cast<std::uint16_t>(option.size()));
  writer_.bytes(option);
}

void write_dns_query(std::vector<std::uint8_t>& out, std::uint16_t id, std::string_view name,
                     std::uint16_t type, std::span<const std::uint8_t> canary) {
  DnsWriter dns(out);
  dns.header(id, 0x0100, 1, 0, 0, 1);
  dns.question(name, type);
  dns.opt(1232, canary);
}

void write_dns_response(std::vector<std::uint8_t>& out, std::uint16_t id, std::string_view name,
                        std::uint16_t type, const DnsAnswer& answer,
                        std::span<const std::uint8_t> canary, Rng& rng) {
  DnsWriter dns(out);
  if (answer.nxdomain) {
    dns.header(id, 0x8183, 1, 0, 1, 1);
    dns.question(name, type);
    const auto dot = name.find('.');
    const std::string_view zone = dot == std::string_view::npos ? name : name.substr(dot + 1);
    dns.soa(zone, 900, "ns1." + std::string(zone), "hostmaster." + std::string(zone),
            2026110100 + static_cast<std::uint32_t>(rng.below(90)));
    dns.opt(1232, canary);
    return;
  }
  std::uint16_t count = static_cast<std::uint16_t>(answer.cnames.size());
  for (const auto& address : answer.addresses) {
    if ((type == dns_type::a) == address.is_v4()) ++count;
  }
  dns.header(id, 0x8180, 1, count, 0, 1);
  dns.question(name, type);
  std::string owner(name);
  const auto ttl = static_cast<std::uint32_t>(60 + rng.below(3540));
  for (const auto& target : answer.cnames) {
    dns.cname(owner, ttl, target);
    owner = target;
  }
  for (const auto& address : answer.addresses) {
    if (type == dns_type::a && address.is_v4()) dns.a(owner, ttl, address);
    if (type == dns_type::aaaa && !address.is_v4()) dns.aaaa(owner, ttl, address);
  }
  dns.opt(1232, canary);
}

void write_dns_amplified_response(std::vector<std::uint8_t>& out, std::uint16_t id,
                                  std::string_view name, std::uint16_t type,
                                  std::size_t target_size, Rng& rng) {
  // Lay out the records first to know the answer count, then write them.
  const std::string zone(name);
  std::vector<std::vector<std::string>> txts;
  std::size_t estimate = 12 + zone.size() + 6 + 11;  // header, question, OPT
  const bool any = type == dns_type::any;
  if (any) estimate += 2 * 16 + 2 * 28 + 2 * 30 + 60;  // A, AAAA, MX, NS, SOA
  txts.push_back({"v=spf1 ip4:" + std::to_string(rng.below(223) + 1) + ".0.0.0/16 include:_spf." +
                  zone + " ~all"});
  estimate += 12 + txts.back()[0].size() + 1;
  while (estimate + 12 + 200 < target_size) {
    // Long verification and key-like strings, as large zones publish.
    const std::size_t length = std::min<std::size_t>(target_size - estimate - 12 - 2, 240);
    txts.push_back({"k=rsa; p=" + random_token(rng, length - 9)});
    estimate += 12 + length + 1;
  }
  const auto count = static_cast<std::uint16_t>(txts.size() + (any ? 7 : 0));
  DnsWriter dns(out);
  dns.header(id, 0x8180, 1, count, 0, 1);
  dns.question(name, type);
  if (any) {
    Rng address(rng.next());
    dns.a(name, 300, IpAddress::v4(static_cast<std::uint32_t>(address.next())));
    dns.a(name, 300, IpAddress::v4(static_cast<std::uint32_t>(address.next())));
    std::array<std::uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8};
    address.fill(std::span(v6).subspan(8));
    dns.aaaa(name, 300, IpAddress::v6(v6));
    dns.mx(name, 3600, 10, "mx1." + zone);
    dns.mx(name, 3600, 20, "mx2." + zone);
    dns.ns(name, 86400, "ns1." + zone);
    dns.soa(name, 3600, "ns1." + zone, "hostmaster." + zone, 2026103001);
  }
  for (const auto& strings : txts) dns.txt(name, 300, strings);
  dns.opt(4096, {});
}

}  // namespace mamori::synth
