// Agreement with tshark on genuine ClientHellos (openssl s_client, curl, Python ssl; TLS 1.0
// to 1.3, IPv4 and IPv6, a hello split over two TLS records, a resumption hello), recorded
// on loopback by tests/data/decode/tls_http/make_pcaps.sh with tshark 4.0's reading beside
// it. SNI, ALPN, JA3 and its MD5 are compared with tshark's directly. tshark 4.0 predates
// JA4, so the expected JA4 is derived from tshark's cipher, extension, signature algorithm
// and supported_versions fields by the rules of FoxIO's specification.

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "mamori/decode/app.h"
#include "mamori/decode/tls_fingerprint.h"
#include "tls_http_fixture.h"

namespace mamori::decode {
namespace {

// Columns of tls.tshark.tsv after the frame number.
enum Column { kSni, kJa3Full, kJa3, kAlpn, kSigAlgs, kVersions, kColumns };

std::vector<unsigned> numbers(const std::string& list, char separator, int base) {
  std::vector<unsigned> values;
  if (list.empty()) return values;
  for (std::string_view item : test::split_fields(list, separator)) {
    if (base == 16 && item.starts_with("0x")) item.remove_prefix(2);
    unsigned value = 0;
    const auto result = std::from_chars(item.data(), item.data() + item.size(), value, base);
    EXPECT_EQ(result.ec, std::errc{}) << "not a number: '" << item << "'";
    values.push_back(value);
  }
  return values;
}

std::string hex4_list(const std::vector<unsigned>& values) {
  std::string out;
  for (unsigned value : values) {
    if (!out.empty()) out.push_back(',');
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04x", value);
    out += buffer;
  }
  return out;
}

std::string truncated_hash(const std::string& list) {
  return list.empty() ? std::string(12, '0') : tls::sha256_hex(list).substr(0, 12);
}

// JA4 from tshark's fields (the JA3 lists are already free of GREASE in tshark's output).
std::string expected_ja4(const std::vector<std::string>& row) {
  const auto ja3 = test::split_fields(row[kJa3Full], ',');
  const unsigned legacy = numbers(ja3[0], '-', 10).at(0);
  std::vector<unsigned> ciphers = numbers(ja3[1], '-', 10);
  const std::vector<unsigned> extensions = numbers(ja3[2], '-', 10);
  const std::vector<unsigned> versions = numbers(row[kVersions], ',', 16);
  const unsigned version =
      versions.empty() ? legacy : *std::max_element(versions.begin(), versions.end());
  const char* version_text = version == 0x0304   ? "13"
                             : version == 0x0303 ? "12"
                             : version == 0x0302 ? "11"
                             : version == 0x0301 ? "10"
                                                 : "??";
  const bool has_sni = std::find(extensions.begin(), extensions.end(), 0u) != extensions.end();
  const std::string first_alpn = test::split_fields(row[kAlpn], ',')[0];
  const std::string alpn =
      first_alpn.empty() ? "00" : std::string{first_alpn.front(), first_alpn.back()};
  char counts[8];
  std::snprintf(counts, sizeof counts, "%02zu%02zu", std::min<std::size_t>(ciphers.size(), 99),
                std::min<std::size_t>(extensions.size(), 99));

  std::sort(ciphers.begin(), ciphers.end());
  std::vector<unsigned> sorted_extensions;
  for (unsigned type : extensions) {
    if (type != 0x0000 && type != 0x0010) sorted_extensions.push_back(type);
  }
  std::sort(sorted_extensions.begin(), sorted_extensions.end());
  std::string extension_list = hex4_list(sorted_extensions);
  const std::vector<unsigned> sig_algs = numbers(row[kSigAlgs], ',', 16);
  if (!extension_list.empty() && !sig_algs.empty()) extension_list += "_" + hex4_list(sig_algs);

  return std::string("t") + version_text + (has_sni ? "d" : "i") + counts + alpn + "_" +
         truncated_hash(hex4_list(ciphers)) + "_" + truncated_hash(extension_list);
}

TEST(TlsAgreesWithTshark, EveryClientHelloInTheCapture) {
  const auto frames = test::read_tcp_frames(test::kTlsHttpDataDir + "tls.pcap");
  const auto golden = test::read_tshark_rows(test::kTlsHttpDataDir + "tls.tshark.tsv", kColumns);
  ASSERT_EQ(golden.size(), 13u);
  std::size_t hellos = 0;
  std::size_t other_payloads = 0;
  for (const test::TcpFrame& frame : frames) {
    if (frame.payload.empty()) continue;
    TlsClientHello hello;
    const TlsStatus status = decode_tls_client_hello(frame.payload, hello);
    const auto row = golden.find(frame.number);
    if (row == golden.end()) {
      // ServerHellos, certificates, alerts, application data: never a ClientHello.
      EXPECT_NE(status, TlsStatus::ok) << "frame " << frame.number;
      ++other_payloads;
      continue;
    }
    ASSERT_EQ(status, TlsStatus::ok) << "frame " << frame.number << ": " << to_string(status);
    ++hellos;
    const std::vector<std::string>& fields = row->second;
    EXPECT_EQ(hello.sni, test::ascii_lower(fields[kSni])) << "frame " << frame.number;
    EXPECT_EQ(hello.ja3, fields[kJa3Full]) << "frame " << frame.number;
    EXPECT_EQ(hello.ja3_hash, fields[kJa3]) << "frame " << frame.number;
    std::vector<std::string> alpn;
    if (!fields[kAlpn].empty()) alpn = test::split_fields(fields[kAlpn], ',');
    if (alpn.size() > kMaxAlpnProtocols) alpn.resize(kMaxAlpnProtocols);
    EXPECT_EQ(hello.alpn, alpn) << "frame " << frame.number;
    EXPECT_EQ(hello.ja4, expected_ja4(fields)) << "frame " << frame.number;
  }
  EXPECT_EQ(hellos, golden.size());
  EXPECT_GT(other_payloads, 20u);
}

// The fixture covers what it claims to: several versions, no-SNI, multi-record, IPv6 hellos.
TEST(TlsAgreesWithTshark, FixtureCoverage) {
  const auto golden = test::read_tshark_rows(test::kTlsHttpDataDir + "tls.tshark.tsv", kColumns);
  std::set<std::string> legacy_versions;
  bool without_sni = false;
  for (const auto& [number, fields] : golden) {
    legacy_versions.insert(test::split_fields(fields[kJa3Full], ',')[0]);
    without_sni = without_sni || fields[kSni].empty();
  }
  EXPECT_EQ(legacy_versions, (std::set<std::string>{"769", "770", "771"}));
  EXPECT_TRUE(without_sni);

  std::size_t multi_record = 0;
  for (const test::TcpFrame& frame : test::read_tcp_frames(test::kTlsHttpDataDir + "tls.pcap")) {
    if (golden.count(frame.number) == 0) continue;
    const std::size_t first_record = 5 + ((frame.payload[3] << 8) | frame.payload[4]);
    if (first_record < frame.payload.size()) ++multi_record;
  }
  EXPECT_EQ(multi_record, 1u);
}

}  // namespace
}  // namespace mamori::decode
