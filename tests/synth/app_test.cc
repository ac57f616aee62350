// TLS ClientHello fingerprints, DNS wire format and HTTP heads.
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "mamori/synth/dns_message.h"
#include "mamori/synth/http_message.h"
#include "mamori/synth/tls_hello.h"
#include "test_support.h"

namespace mamori::synth {
namespace {

using testing::be16;

// JA4 example of the FoxIO specification (github.com/FoxIO-LLC/ja4, technical_details/JA4.md):
// 15 ciphers, 16 extensions incl. SNI and ALPN, first ALPN "h2", TLS 1.3 →
// t13d1516h2_8daaf6152771_e5627efa2ab1.
TEST(TlsFingerprint, Ja4SpecificationExample) {
  HelloParameters hello;
  hello.ciphers = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                   0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  hello.extensions = {0x1a1a, 0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005,
                      0x000d, 0x0012, 0x0033, 0x002d, 0x002b, 0x001b, 0x0015, 0x4469, 0x2a2a};
  hello.signature_algorithms = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
  hello.versions = {0x3a3a, 0x0304, 0x0303};
  hello.groups = {0x4a4a, 0x001d, 0x0017, 0x0018};
  hello.point_formats = {0};
  hello.first_alpn = "h2";
  hello.has_sni = true;
  EXPECT_EQ(fingerprint(hello).ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
}

// JA3 (github.com/salesforce/ja3): GREASE-free decimal lists; the MD5 of this string was
// computed with md5sum.
TEST(TlsFingerprint, Ja3StringAndHash) {
  HelloParameters hello;
  hello.ciphers = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
                   0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  hello.extensions = {0x002d, 0x0033, 0x0010, 0xfe0d, 0x0017, 0x44cd, 0x0000, 0x000b,
                      0x000a, 0x002b, 0xff01, 0x0023, 0x0012, 0x0005, 0x000d, 0x001b};
  hello.groups = {0x11ec, 0x001d, 0x0017, 0x0018};
  hello.point_formats = {0};
  hello.signature_algorithms = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
  hello.versions = {0x0304, 0x0303};
  hello.first_alpn = "h2";
  hello.has_sni = true;
  const auto fp = fingerprint(hello);
  EXPECT_EQ(fp.ja3,
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
            "45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0");
  EXPECT_EQ(fp.ja3_hash, "98487aa16281980e7d1120d399efb6a4");
  EXPECT_EQ(fp.ja4.substr(0, 10), "t13d1516h2");
}

TEST(TlsFingerprint, GreaseDetection) {
  EXPECT_TRUE(is_grease(0x0a0a));
  EXPECT_TRUE(is_grease(0xfafa));
  EXPECT_FALSE(is_grease(0x0a1a));
  EXPECT_FALSE(is_grease(0x1301));
}

// An independent walk over the ClientHello record: fields the fingerprints depend on.
struct WalkedHello {
  bool ok = false;
  std::string sni;
  std::vector<std::uint16_t> ciphers;
  std::vector<std::uint16_t> extensions;
};

WalkedHello walk(const std::vector<std::uint8_t>& r) {
  WalkedHello out;
  if (r.size() < 9 || r[0] != 0x16 || r[5] != 0x01) return out;
  if (be16(r.data() + 3) + 5u != r.size()) return out;
  std::size_t at = 9 + 2 + 32;
  at += 1 + r[at];
  const std::size_t cipher_bytes = be16(r.data() + at);
  for (std::size_t i = 0; i < cipher_bytes; i += 2)
    out.ciphers.push_back(be16(r.data() + at + 2 + i));
  at += 2 + cipher_bytes;
  at += 1 + r[at];
  const std::size_t end = at + 2 + be16(r.data() + at);
  if (end != r.size()) return out;
  at += 2;
  while (at + 4 <= end) {
    const std::uint16_t type = be16(r.data() + at);
    const std::uint16_t length = be16(r.data() + at + 2);
    out.extensions.push_back(type);
    if (type == 0)
      out.sni.assign(r.begin() + static_cast<long>(at) + 9,
                     r.begin() + static_cast<long>(at) + 4 + length);
    at += 4 + length;
  }
  out.ok = at == end;
  return out;
}

TEST(TlsHello, EveryProfileWritesAWellFormedHello) {
  std::set<std::string> ja4s;
  Rng rng(3);
  for (int p = 0; p < static_cast<int>(TlsProfile::kCount); ++p) {
    std::vector<std::uint8_t> record;
    ClientHelloSpec spec;
    spec.profile = static_cast<TlsProfile>(p);
    spec.sni = "www.example.com";
    const auto fp = write_client_hello(record, spec, rng);
    const auto hello = walk(record);
    ASSERT_TRUE(hello.ok) << profile_name(spec.profile);
    EXPECT_EQ(hello.sni, "www.example.com");
    EXPECT_LT(record.size(), 1400u);  // one TCP segment
    EXPECT_EQ(fp.ja4[0], 't');
    EXPECT_EQ(fp.ja3_hash.size(), 32u);
    ja4s.insert(fp.ja4);
  }
  EXPECT_EQ(ja4s.size(), static_cast<std::size_t>(TlsProfile::kCount));
}

TEST(TlsHello, ChromeShufflesExtensionsButKeepsJa4) {
  Rng rng(4);
  std::set<std::string> ja3s, ja4s;
  for (int i = 0; i < 20; ++i) {
    std::vector<std::uint8_t> record;
    ClientHelloSpec spec;
    spec.sni = "a.example.com";
    const auto fp = write_client_hello(record, spec, rng);
    const auto hello = walk(record);
    ASSERT_TRUE(hello.ok);
    EXPECT_TRUE(is_grease(hello.ciphers.front()));
    EXPECT_TRUE(is_grease(hello.extensions.front()));
    EXPECT_TRUE(is_grease(hello.extensions.back()));
    ja3s.insert(fp.ja3_hash);
    ja4s.insert(fp.ja4);
  }
  EXPECT_GT(ja3s.size(), 10u);
  EXPECT_EQ(ja4s.size(), 1u);
  // With the canonical order the JA3 is that of the profile table, every time.
  std::set<std::string> fixed;
  for (int i = 0; i < 5; ++i) {
    std::vector<std::uint8_t> record;
    ClientHelloSpec spec;
    spec.sni = "a.example.com";
    spec.fixed_order = true;
    fixed.insert(write_client_hello(record, spec, rng).ja3_hash);
  }
  EXPECT_EQ(fixed.size(), 1u);
}

TEST(TlsHello, ImplantFingerprintIsStableAndDistinct) {
  Rng rng(5);
  std::set<std::string> implant;
  for (int i = 0; i < 5; ++i) {
    std::vector<std::uint8_t> record;
    ClientHelloSpec spec;
    spec.profile = TlsProfile::implant;
    const std::string sni = "x" + std::to_string(i) + ".example.com";
    spec.sni = sni;
    implant.insert(write_client_hello(record, spec, rng).ja3_hash);
  }
  EXPECT_EQ(implant.size(), 1u);
  EXPECT_FALSE(profile_offers_tls13(TlsProfile::implant));
}

TEST(TlsHello, TicketCarriesTheCanaryWithoutChangingFingerprints) {
  const std::string canary = "CANARY-tls";
  for (const auto profile : {TlsProfile::firefox, TlsProfile::safari, TlsProfile::curl}) {
    Rng a(6), b(6);
    std::vector<std::uint8_t> plain, marked;
    ClientHelloSpec spec;
    spec.profile = profile;
    spec.sni = "b.example.com";
    const auto fp1 = write_client_hello(plain, spec, a);
    spec.ticket = std::span(reinterpret_cast<const std::uint8_t*>(canary.data()), canary.size());
    const auto fp2 = write_client_hello(marked, spec, b);
    EXPECT_EQ(fp1.ja3, fp2.ja3) << profile_name(profile);
    EXPECT_EQ(fp1.ja4, fp2.ja4);
    EXPECT_NE(std::string(marked.begin(), marked.end()).find(canary), std::string::npos);
    EXPECT_TRUE(walk(marked).ok);
  }
}

// Follows compression pointers (RFC 1035 §4.1.4) to read a name at `at`.
std::string read_name(const std::vector<std::uint8_t>& m, std::size_t at, std::size_t* after) {
  std::string name;
  bool jumped = false;
  for (int hops = 0; hops < 32; ++hops) {
    const std::uint8_t length = m.at(at);
    if ((length & 0xc0) == 0xc0) {
      if (!jumped && after) *after = at + 2;
      jumped = true;
      at = ((length & 0x3f) << 8) | m.at(at + 1);
      continue;
    }
    if (length == 0) {
      if (!jumped && after) *after = at + 1;
      return name;
    }
    if (!name.empty()) name += '.';
    name.append(m.begin() + static_cast<long>(at) + 1,
                m.begin() + static_cast<long>(at) + 1 + length);
    at += 1 + length;
  }
  return "(loop)";
}

TEST(Dns, ResponseUsesCompressionAndDecodes) {
  Rng rng(1);
  std::vector<std::uint8_t> m;
  DnsAnswer answer;
  answer.cnames = {"edge.example.com"};
  answer.addresses = {*IpAddress::parse("104.16.1.2"), *IpAddress::parse("2607:f8b0::1")};
  write_dns_response(m, 0x1234, "www.example.com", dns_type::a, answer, {}, rng);
  EXPECT_EQ(be16(m.data()), 0x1234);
  EXPECT_EQ(be16(m.data() + 2), 0x8180);
  EXPECT_EQ(be16(m.data() + 4), 1);
  EXPECT_EQ(be16(m.data() + 6), 2);  // CNAME + A (the AAAA does not answer type A)
  std::size_t at = 12;
  EXPECT_EQ(read_name(m, at, &at), "www.example.com");
  at += 4;
  // The CNAME owner is a pointer to the question name at offset 12.
  EXPECT_EQ(m[at], 0xc0);
  EXPECT_EQ(m[at + 1], 12);
  EXPECT_EQ(read_name(m, at, &at), "www.example.com");
  EXPECT_EQ(be16(m.data() + at), dns_type::cname);
  const std::size_t rdata = at + 10;
  std::size_t end = 0;
  EXPECT_EQ(read_name(m, rdata, &end), "edge.example.com");
  EXPECT_EQ(end - rdata, 7u);  // "edge" + a pointer to the question's "example.com"
  at = rdata + be16(m.data() + at + 8);
  EXPECT_EQ(read_name(m, at, &at), "edge.example.com");
  EXPECT_EQ(be16(m.data() + at), dns_type::a);
  EXPECT_EQ(be16(m.data() + at + 8), 4);
  EXPECT_EQ(m[at + 10], 104);
}

TEST(Dns, QueryCarriesCanaryInAnEdnsOption) {
  std::vector<std::uint8_t> m;
  const std::string canary = "CANARY-dns";
  write_dns_query(m, 7, "a.example.org", dns_type::aaaa,
                  std::span(reinterpret_cast<const std::uint8_t*>(canary.data()), canary.size()));
  EXPECT_EQ(be16(m.data() + 10), 1);  // ARCOUNT: the OPT record
  const std::string text(m.begin(), m.end());
  const auto at = text.find(canary);
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(be16(m.data() + at - 4), kCanaryEdnsOption);
  EXPECT_EQ(at + canary.size(), m.size());
}

TEST(Dns, AmplifiedResponsesAreLargeButFitOneDatagram) {
  Rng rng(2);
  for (const std::uint16_t type : {dns_type::any, dns_type::txt}) {
    for (const std::size_t target : {600u, 1200u, 1450u}) {
      std::vector<std::uint8_t> m;
      write_dns_amplified_response(m, 1, "big-zone.example.com", type, target, rng);
      EXPECT_LE(m.size(), target);
      EXPECT_GE(m.size() + 260, target);
      std::size_t at = 12;
      EXPECT_EQ(read_name(m, at, &at), "big-zone.example.com");
      EXPECT_EQ(be16(m.data() + at), type);
    }
  }
}

TEST(Http, RequestAndResponseHeads) {
  std::vector<std::uint8_t> out;
  HttpRequestSpec request;
  request.method = "POST";
  request.host = "www.example.jp";
  request.target = "/form?q=1";
  request.user_agent = "curl/8.5.0";
  request.body = "a=b";
  request.body_fill = 10;
  write_http_request(out, request);
  const std::string text(out.begin(), out.end());
  EXPECT_TRUE(text.starts_with("POST /form?q=1 HTTP/1.1\r\nHost: www.example.jp\r\n"));
  EXPECT_NE(text.find("Content-Length: 13\r\n"), std::string::npos);
  EXPECT_TRUE(text.ends_with("\r\n\r\na=b"));
  // 2026-11-01 is a Sunday.
  EXPECT_EQ(http_date(Timestamp::from_seconds(1793491200 + 3661)), "Sun, 01 Nov 2026 01:01:01 GMT");
}

}  // namespace
}  // namespace mamori::synth
