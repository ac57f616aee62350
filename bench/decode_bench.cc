// ns per packet for decode_packet on the common encapsulations, and for the DNS parser.
// Frames are built once; each iteration decodes the same bytes (the L1-hot best case, which
// is what the sieve sees for headers right after the capture ring hands a packet over).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <vector>

#include "mamori/decode/app.h"
#include "mamori/decode/packet.h"

namespace {

using Bytes = std::vector<std::uint8_t>;
using mamori::capture::LinkType;
namespace decode = mamori::decode;

void put16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

Bytes ethernet(std::uint16_t type) {
  Bytes out{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
  put16(out, type);
  return out;
}

void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

Bytes ipv4_tcp(std::size_t payload) {
  Bytes out{0x45, 0};
  put16(out, static_cast<std::uint16_t>(40 + payload));
  append(out, {0x12, 0x34, 0x40, 0x00, 64, 6, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7});
  append(out, {0x9c, 0x40, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0});
  out.resize(out.size() + payload, 0x41);
  return out;
}

Bytes ipv6_udp(std::size_t payload) {
  Bytes out{0x60, 0, 0, 0};
  put16(out, static_cast<std::uint16_t>(8 + payload));
  append(out, {17, 64});
  append(out, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  append(out, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
  append(out, {0x14, 0xe9, 0x00, 0x35});
  put16(out, static_cast<std::uint16_t>(8 + payload));
  append(out, {0, 0});
  out.resize(out.size() + payload, 0x42);
  return out;
}

void run_decode(benchmark::State& state, LinkType link, const Bytes& frame) {
  decode::DecodedPacket out;
  const std::span<const std::uint8_t> bytes(frame);
  for (auto _ : state) {
    benchmark::DoNotOptimize(bytes.data());
    auto status = decode::decode_packet(link, bytes, out);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_DecodeEthernetIpv4Tcp(benchmark::State& state) {
  Bytes frame = ethernet(0x0800);
  append(frame, ipv4_tcp(512));
  run_decode(state, LinkType::ethernet, frame);
}
BENCHMARK(BM_DecodeEthernetIpv4Tcp);

void BM_DecodeVlanIpv6Udp(benchmark::State& state) {
  Bytes frame = ethernet(0x8100);
  append(frame, {0x00, 0x64, 0x86, 0xdd});
  append(frame, ipv6_udp(64));
  run_decode(state, LinkType::ethernet, frame);
}
BENCHMARK(BM_DecodeVlanIpv6Udp);

void BM_DecodeQinQMplsIpv4Tcp(benchmark::State& state) {
  Bytes frame = ethernet(0x88a8);
  append(frame, {0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x88, 0x47});
  append(frame, {0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40});  // two labels, BoS on 2nd
  append(frame, ipv4_tcp(512));
  run_decode(state, LinkType::ethernet, frame);
}
BENCHMARK(BM_DecodeQinQMplsIpv4Tcp);

void BM_DecodeMplsIpv4Tcp(benchmark::State& state) {
  Bytes frame = ethernet(0x8847);
  append(frame, {0x00, 0x01, 0x01, 0x40});
  append(frame, ipv4_tcp(512));
  run_decode(state, LinkType::ethernet, frame);
}
BENCHMARK(BM_DecodeMplsIpv4Tcp);

Bytes dns_response() {
  // id, flags QR RD RA, 1 question, 3 answers (CNAME, A, A)
  Bytes out{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0};
  append(out, {3, 'w', 'w', 'w', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0});
  append(out, {0, 1, 0, 1});
  append(out, {0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 0x2c, 0, 6, 3, 'c', 'd', 'n', 0xc0, 16});
  append(out, {0xc0, 45, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 1});
  append(out, {0xc0, 45, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 2});
  return out;
}

void BM_ParseDnsResponse(benchmark::State& state) {
  const Bytes message = dns_response();
  decode::DnsMessage out;
  if (!decode::parse_dns(message, out) || out.answers.size() != 2) {
    state.SkipWithError("fixture does not parse");
    return;
  }
  for (auto _ : state) {
    bool ok = decode::parse_dns(message, out);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseDnsResponse);

void BM_ParseDnsQuery(benchmark::State& state) {
  Bytes message{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  append(message, {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0});
  append(message, {0, 28, 0, 1});
  decode::DnsMessage out;
  for (auto _ : state) {
    bool ok = decode::parse_dns(message, out);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseDnsQuery);

}  // namespace

BENCHMARK_MAIN();
