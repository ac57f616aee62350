// parse_tls_client_hello on hand-built ClientHellos: published JA3/JA4 vectors, GREASE, record
// fragmentation, every malformation kind and every truncation.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "mamori/decode/app.h"
#include "mamori/decode/tls_fingerprint.h"
#include "tls_hello_builder.h"

namespace mamori::decode {
namespace {

using test::Bytes;
using test::Hello;

TlsClientHello parsed(const Bytes& bytes) {
  TlsClientHello hello;
  EXPECT_EQ(decode_tls_client_hello(bytes, hello), TlsStatus::ok);
  return hello;
}

TlsStatus status_of(const Bytes& bytes) {
  TlsClientHello hello;
  return decode_tls_client_hello(bytes, hello);
}

// The example in FoxIO's JA4 specification (technical_details/JA4.md, "Example" and "Raw
// Output" sections, github.com/FoxIO-LLC/ja4): its JA4_ro lists give the ciphers, extensions
// and signature algorithms in wire order; GREASE values are added the way Chrome places them.
Hello ja4_spec_example() {
  Hello hello;
  hello.ciphers = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                   0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  hello.extensions = {
      test::opaque(0x1a1a),
      test::opaque(0x001b, 3),
      test::sni("www.example.com"),
      test::opaque(0x0033, 43),
      test::alpn({"h2", "http/1.1"}),
      test::opaque(0x4469, 5),
      test::opaque(0x0017),
      test::opaque(0x002d, 2),
      test::u16_list(0x000d, {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601}),
      test::opaque(0x0005, 5),
      test::opaque(0x0023),
      test::opaque(0x0012),
      test::supported_versions({0x3a3a, 0x0304, 0x0303}),
      test::opaque(0xff01, 1),
      test::point_formats({0}),
      test::u16_list(0x000a, {0x4a4a, 0x001d, 0x0017, 0x0018}),
      test::opaque(0x0015, 200),
      test::opaque(0x2a2a, 1),
  };
  return hello;
}

TEST(TlsClientHello, Ja4SpecificationExample) {
  const TlsClientHello hello = parsed(test::client_hello(ja4_spec_example()));
  EXPECT_EQ(hello.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
  EXPECT_EQ(hello.sni, "www.example.com");
  EXPECT_EQ(hello.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(hello.version, 0x0304);
  EXPECT_EQ(hello.ja3,
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
            "27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0");
  EXPECT_EQ(hello.ja3_hash, tls::md5_hex(hello.ja3));
}

// Same spec, "Extension hash": with no signature algorithms the extension list is hashed
// without the trailing underscore, giving 6d807ffa2a79.
TEST(TlsClientHello, Ja4SpecificationExampleWithoutSignatureAlgorithms) {
  Hello hello = ja4_spec_example();
  hello.extensions[8] = test::u16_list(0x000d, {});
  EXPECT_EQ(parsed(test::client_hello(hello)).ja4, "t13d1516h2_8daaf6152771_6d807ffa2a79");
}

// A Chrome 143 ClientHello as published by a TLS fingerprinting service (the browserleaks.com
// JSON report stored in github.com/service0427/v2_cp_app, tls.md): every cipher, extension,
// group, version and signature algorithm in wire order with its GREASE values, and the report's
// ja3_text, ja3_hash and ja4, computed by an independent implementation.
TEST(TlsClientHello, PublishedChrome143Report) {
  Hello hello;
  hello.ciphers = {43690, 4865,  4866,  4867,  49195, 49199, 49196, 49200,
                   52393, 52392, 49171, 49172, 156,   157,   47,    53};
  Bytes key_share;
  test::put16(key_share, (4 + 1) + (4 + 1216) + (4 + 32));
  for (auto [group, size] : {std::pair{14906, 1}, {4588, 1216}, {29, 32}}) {
    test::put16(key_share, group);
    test::put16(key_share, size);
    key_share.insert(key_share.end(), static_cast<std::size_t>(size), 0x33);
  }
  hello.extensions = {
      test::opaque(19018),
      test::Extension{45, {0x01, 0x01}},
      test::Extension{51, key_share},
      test::alpn({"h2", "http/1.1"}),
      test::opaque(65037, 1 + 4 + 1 + 2 + 32 + 2 + 144),
      test::opaque(23),
      test::Extension{17613, {0x00, 0x03, 0x02, 'h', '2'}},
      test::sni("tls-outer.browserleaks.com"),
      test::point_formats({0}),
      test::u16_list(10, {14906, 4588, 29, 23, 24}),
      test::supported_versions({27242, 772, 771}),
      test::opaque(65281, 1),
      test::opaque(35),
      test::opaque(18),
      test::Extension{5, {0x01, 0x00, 0x00, 0x00, 0x00}},
      test::u16_list(13, {1027, 2052, 1025, 1283, 2053, 1281, 2054, 1537}),
      test::Extension{27, {0x02, 0x00, 0x02}},
      test::opaque(27242, 1),
  };
  const TlsClientHello parsed_hello = parsed(test::client_hello(hello));
  EXPECT_EQ(parsed_hello.ja3,
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
            "45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0");
  EXPECT_EQ(parsed_hello.ja3_hash, "98487aa16281980e7d1120d399efb6a4");
  EXPECT_EQ(parsed_hello.ja4, "t13d1516h2_8daaf6152771_d8a2da3f94cd");
  EXPECT_EQ(parsed_hello.sni, "tls-outer.browserleaks.com");
  EXPECT_EQ(parsed_hello.version, 0x0304);
}

// JA3's own reference (github.com/salesforce/ja3, README): MD5 of the JA3 string
// "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0" is
// ada70206e40642a3e4461f35503241d5.
TEST(TlsClientHello, Ja3ReadmeExample) {
  Hello hello;
  hello.legacy_version = 0x0301;
  hello.ciphers = {47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4};
  hello.extensions = {test::sni("example.org"), test::u16_list(10, {23, 24, 25}),
                      test::point_formats({0})};
  const TlsClientHello parsed_hello = parsed(test::client_hello(hello));
  EXPECT_EQ(parsed_hello.ja3,
            "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0");
  EXPECT_EQ(parsed_hello.ja3_hash, "ada70206e40642a3e4461f35503241d5");
  EXPECT_EQ(parsed_hello.version, 0x0301);
  EXPECT_EQ(parsed_hello.ja4.substr(0, 11), "t10d120300_");
}

// Same README: a hello without extensions leaves three empty fields.
TEST(TlsClientHello, Ja3ReadmeExampleWithoutExtensions) {
  Hello hello;
  hello.legacy_version = 0x0301;
  hello.ciphers = {4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99};
  hello.extension_block = false;
  const TlsClientHello parsed_hello = parsed(test::client_hello(hello));
  EXPECT_EQ(parsed_hello.ja3, "769,4-5-10-9-100-98-3-6-19-18-99,,,");
  EXPECT_EQ(parsed_hello.ja3_hash, "de350869b8c85de67a350c8d186f11e6");
}

TEST(TlsClientHello, GreaseIsIgnoredEverywhere) {
  Hello plain;
  plain.ciphers = {0x1301, 0xc02b};
  plain.extensions = {test::sni("a.example"), test::u16_list(10, {29, 23}),
                      test::supported_versions({0x0304, 0x0303}),
                      test::u16_list(13, {0x0403, 0x0804})};
  Hello greased = plain;
  greased.ciphers = {0xdada, 0x1301, 0xfafa, 0xc02b};
  greased.extensions = {test::opaque(0x0a0a),
                        test::sni("a.example"),
                        test::u16_list(10, {0x8a8a, 29, 23}),
                        test::supported_versions({0x9a9a, 0x0304, 0x0303}),
                        test::u16_list(13, {0x0403, 0x0804}),
                        test::opaque(0xeaea, 1)};
  const TlsClientHello a = parsed(test::client_hello(plain));
  const TlsClientHello b = parsed(test::client_hello(greased));
  EXPECT_EQ(a.ja3, "771,4865-49195,0-10-43-13,29-23,");
  EXPECT_EQ(b.ja3, a.ja3);
  EXPECT_EQ(b.ja4, a.ja4);
  EXPECT_EQ(b.version, 0x0304);
}

TEST(TlsClientHello, GreaseValues) {
  int count = 0;
  for (unsigned value = 0; value <= 0xffff; ++value) {
    if (tls::is_grease(static_cast<std::uint16_t>(value))) {
      ++count;
      EXPECT_EQ(value & 0x0f0f, 0x0a0au);
      EXPECT_EQ(value >> 8, value & 0xff);
    }
  }
  EXPECT_EQ(count, 16);  // RFC 8701 §2: 0x0A0A, 0x1A1A, ..., 0xFAFA
  EXPECT_FALSE(tls::is_grease(0x0a1a));
}

TEST(TlsClientHello, NoSniTls12Only) {
  Hello hello;
  hello.ciphers = {0xc02f, 0xc030, 0x009e};
  hello.extensions = {test::u16_list(10, {23}), test::point_formats({0, 1, 2}),
                      test::u16_list(13, {0x0401})};
  const TlsClientHello parsed_hello = parsed(test::client_hello(hello));
  EXPECT_EQ(parsed_hello.sni, "");
  EXPECT_TRUE(parsed_hello.alpn.empty());
  EXPECT_EQ(parsed_hello.version, 0x0303);
  EXPECT_EQ(parsed_hello.ja3, "771,49199-49200-158,10-11-13,23,0-1-2");
  // t, 12, i (no SNI), 3 ciphers, 3 extensions, 00 (no ALPN).
  EXPECT_EQ(parsed_hello.ja4.substr(0, 11), "t12i030300_");
  EXPECT_EQ(parsed_hello.ja4.substr(11, 12), tls::sha256_hex("009e,c02f,c030").substr(0, 12));
  EXPECT_EQ(parsed_hello.ja4.substr(24), tls::sha256_hex("000a,000b,000d_0401").substr(0, 12));
}

TEST(TlsClientHello, OldStyleHelloWithoutExtensions) {
  Hello hello;
  hello.legacy_version = 0x0300;
  hello.session_id.clear();
  hello.ciphers = {0x002f, 0x0035};
  hello.extension_block = false;
  const TlsClientHello parsed_hello = parsed(test::client_hello(hello));
  EXPECT_EQ(parsed_hello.ja3, "768,47-53,,,");
  EXPECT_EQ(parsed_hello.version, 0x0300);
  // No extensions: the third part is twelve zeros, not the hash of an empty string.
  EXPECT_EQ(parsed_hello.ja4,
            "ts3i020000_" + tls::sha256_hex("002f,0035").substr(0, 12) + "_000000000000");
}

TEST(TlsClientHello, EmptyCipherListAndOnlySniAndAlpn) {
  Hello hello;
  hello.extensions = {test::sni("x.example"), test::alpn({"h2"})};
  // Both lists empty after removing SNI and ALPN: twelve zeros each.
  EXPECT_EQ(parsed(test::client_hello(hello)).ja4, "t12d0002h2_000000000000_000000000000");
}

TEST(TlsClientHello, CountsAreCappedAt99) {
  Hello hello;
  for (std::uint16_t cipher = 1; cipher <= 120; ++cipher) hello.ciphers.push_back(cipher);
  for (std::uint16_t type = 0x1000; type < 0x1000 + 105; ++type) {
    hello.extensions.push_back(test::opaque(type));
  }
  EXPECT_EQ(parsed(test::client_hello(hello)).ja4.substr(0, 10),
            "t12i9999"
            "00");
}

TEST(TlsClientHello, AlpnCharactersFollowTheHexRule) {
  // Examples from the JA4 specification's "ALPN Extension Value" section.
  const std::vector<std::pair<Bytes, std::string>> cases = {
      {{'h', '2'}, "h2"},
      {{'h', 't', 't', 'p', '/', '1', '.', '1'}, "h1"},
      {{'h'}, "hh"},
      {{0xab}, "ab"},
      {{0xab, 0xcd}, "ad"},
      {{0x30, 0xab}, "3b"},
      {{0x30, 0x31, 0xab, 0xcd}, "3d"},
      {{0x30, 0xab, 0xcd, 0x31}, "01"},
      {{}, "00"},
  };
  for (const auto& [name, expected] : cases) {
    Hello hello;
    hello.ciphers = {0x1301};
    hello.extensions = {test::alpn_raw({name, Bytes{'h', '2'}})};
    EXPECT_EQ(parsed(test::client_hello(hello)).ja4.substr(8, 2), expected);
  }
}

TEST(TlsClientHello, NamesAreBoundedAndPrintable) {
  Hello hello;
  hello.ciphers = {0x1301};
  const std::string long_name(300, 'A');
  Bytes odd_name = {'A', 0x00, 'b', 0xff, '\n'};
  hello.extensions = {test::sni(long_name),
                      test::alpn_raw({odd_name, Bytes{'1'}, Bytes{'2'}, Bytes{'3'}, Bytes{'4'},
                                      Bytes{'5'}, Bytes{'6'}, Bytes{'7'}, Bytes{'8'}, Bytes{'9'}})};
  const TlsClientHello parsed_hello = parsed(test::client_hello(hello));
  EXPECT_EQ(parsed_hello.sni, std::string(kMaxTlsNameBytes, 'a'));
  ASSERT_EQ(parsed_hello.alpn.size(), kMaxAlpnProtocols);
  EXPECT_EQ(parsed_hello.alpn[0], "A?b??");
  EXPECT_EQ(parsed_hello.alpn[7], "7");
  EXPECT_EQ(parsed_hello.ja4.substr(8, 2), "4a");  // raw bytes 0x41 ... 0x0a: hex rule
}

TEST(TlsClientHello, FirstServerNameEntryOfHostNameType) {
  Hello hello;
  hello.ciphers = {0x1301};
  test::Extension server_name{0x0000, {}};
  Bytes list = {7, 0, 3, 'x', 'y', 'z', 0, 0, 9};  // unknown name type 7 first
  for (char c : std::string_view("Host.Example")) list.push_back(static_cast<std::uint8_t>(c));
  list[8] = 12;
  test::put16(server_name.body, list.size());
  test::append(server_name.body, list);
  hello.extensions = {server_name};
  EXPECT_EQ(parsed(test::client_hello(hello)).sni, "host.example");
}

TEST(TlsClientHello, HelloSplitOverRecords) {
  const Bytes message = test::handshake(ja4_spec_example());
  const TlsClientHello whole = parsed(test::records(message));
  for (std::size_t fragment : {1, 2, 3, 4, 5, 7, 64, 100, 255}) {
    const TlsClientHello split = parsed(test::records(message, fragment));
    EXPECT_EQ(split.ja3, whole.ja3) << fragment;
    EXPECT_EQ(split.ja4, whole.ja4) << fragment;
    EXPECT_EQ(split.sni, whole.sni) << fragment;
    EXPECT_EQ(split.alpn, whole.alpn) << fragment;
  }
}

TEST(TlsClientHello, TrailingRecordsAreIgnored) {
  Bytes bytes = test::client_hello(ja4_spec_example());
  const Bytes change_cipher_spec = {20, 3, 3, 0, 1, 1};
  test::append(bytes, change_cipher_spec);
  EXPECT_EQ(status_of(bytes), TlsStatus::ok);
}

TEST(TlsClientHello, TruncatedAtEveryLength) {
  for (std::size_t fragment : {16384, 100, 1}) {
    const Bytes bytes = test::records(test::handshake(ja4_spec_example()), fragment);
    for (std::size_t size = 0; size < bytes.size(); ++size) {
      const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size));
      const TlsStatus status = status_of(prefix);
      EXPECT_EQ(status, size == 0 ? TlsStatus::not_handshake : TlsStatus::incomplete)
          << "fragment " << fragment << ", size " << size;
    }
  }
}

TEST(TlsClientHello, EveryByteFlippedNeverCrashes) {
  const Bytes bytes = test::records(test::handshake(ja4_spec_example()), 200);
  std::set<TlsStatus> seen;
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    for (std::uint8_t mask : {0x01, 0x80, 0xff}) {
      Bytes mutated = bytes;
      mutated[at] ^= mask;
      TlsClientHello hello;
      seen.insert(decode_tls_client_hello(mutated, hello));
      EXPECT_LE(hello.sni.size(), kMaxTlsNameBytes);
    }
  }
  EXPECT_GE(seen.size(), 5u);  // the mutations reach most failure kinds
}

Bytes with_byte(Bytes bytes, std::size_t at, std::uint8_t value) {
  bytes.at(at) = value;
  return bytes;
}

TEST(TlsClientHello, StatusKinds) {
  Hello hello;
  hello.ciphers = {0x1301};
  hello.extensions = {test::sni("a.example")};
  const Bytes good = test::client_hello(hello);
  ASSERT_EQ(status_of(good), TlsStatus::ok);

  const std::string get = "GET / HTTP/1.1\r\n\r\n";
  EXPECT_EQ(status_of(Bytes(get.begin(), get.end())), TlsStatus::not_handshake);
  EXPECT_EQ(status_of({}), TlsStatus::not_handshake);
  EXPECT_EQ(status_of(with_byte(good, 1, 2)), TlsStatus::not_handshake);   // record major 2
  EXPECT_EQ(status_of(with_byte(good, 0, 23)), TlsStatus::not_handshake);  // application data
  EXPECT_EQ(status_of({0x80, 0x2e, 0x01, 0x03, 0x01}), TlsStatus::not_handshake);  // SSLv2 hello

  Bytes zero_record = {22, 3, 1, 0, 0};
  EXPECT_EQ(status_of(zero_record), TlsStatus::bad_record);
  EXPECT_EQ(status_of({22, 3, 1, 0x40, 0x01, 1}), TlsStatus::bad_record);  // 16385 bytes

  Bytes split = test::records(test::handshake(hello), 10);
  EXPECT_EQ(status_of(with_byte(split, 15, 21)), TlsStatus::bad_record);  // alert mid-hello

  EXPECT_EQ(status_of(with_byte(good, 5, 2)), TlsStatus::not_client_hello);  // ServerHello

  Hello long_session = hello;
  long_session.session_id = Bytes(33, 1);
  EXPECT_EQ(status_of(test::client_hello(long_session)), TlsStatus::bad_client_hello);
  const std::size_t ciphers_length_at = 5 + 4 + 2 + 32 + 1 + 32 + 1;
  EXPECT_EQ(status_of(with_byte(good, ciphers_length_at, 3)), TlsStatus::bad_client_hello);
  Hello trailing = hello;
  trailing.extensions.clear();
  Bytes trailing_bytes = test::handshake(trailing);
  trailing_bytes.push_back(0);  // one byte where the extension block length should be
  trailing_bytes[3] += 1;
  EXPECT_EQ(status_of(test::records(trailing_bytes)), TlsStatus::bad_client_hello);

  Hello bad_sni = hello;
  bad_sni.extensions = {test::Extension{0x0000, {0x00, 0x09, 0x00, 0x00, 0x03, 'a'}}};
  EXPECT_EQ(status_of(test::client_hello(bad_sni)), TlsStatus::bad_extension);
  Hello bad_alpn = hello;
  bad_alpn.extensions = {test::Extension{0x0010, {0x00, 0x02, 0x05, 'h'}}};
  EXPECT_EQ(status_of(test::client_hello(bad_alpn)), TlsStatus::bad_extension);
  Hello odd_versions = hello;
  odd_versions.extensions = {test::Extension{0x002b, {0x03, 0x03, 0x04, 0x03}}};
  EXPECT_EQ(status_of(test::client_hello(odd_versions)), TlsStatus::bad_extension);
  Hello odd_groups = hello;
  odd_groups.extensions = {test::Extension{0x000a, {0x00, 0x01, 0x17}}};
  EXPECT_EQ(status_of(test::client_hello(odd_groups)), TlsStatus::bad_extension);
  Hello bad_formats = hello;
  bad_formats.extensions = {test::Extension{0x000b, {0x02, 0x00}}};
  EXPECT_EQ(status_of(test::client_hello(bad_formats)), TlsStatus::bad_extension);
}

TEST(TlsClientHello, ResetsPreviousResult) {
  TlsClientHello hello = parsed(test::client_hello(ja4_spec_example()));
  ASSERT_FALSE(hello.sni.empty());
  EXPECT_EQ(decode_tls_client_hello(Bytes{22, 3, 1, 0, 0}, hello), TlsStatus::bad_record);
  EXPECT_EQ(hello.sni, "");
  EXPECT_EQ(hello.ja3, "");
  EXPECT_TRUE(hello.alpn.empty());
}

TEST(TlsClientHello, BoolWrapperAgreesWithStatus) {
  TlsClientHello hello;
  EXPECT_TRUE(parse_tls_client_hello(test::client_hello(ja4_spec_example()), hello));
  EXPECT_FALSE(parse_tls_client_hello(Bytes{22, 3, 1}, hello));
}

TEST(TlsClientHello, VersionNames) {
  EXPECT_EQ(tls_version_name(0x0304), "1.3");
  EXPECT_EQ(tls_version_name(0x0303), "1.2");
  EXPECT_EQ(tls_version_name(0x0302), "1.1");
  EXPECT_EQ(tls_version_name(0x0301), "1.0");
  EXPECT_EQ(tls_version_name(0x0300), "ssl3");
  EXPECT_EQ(tls_version_name(0x7f1c), "0x7f1c");
  EXPECT_EQ(tls_version_name(0xfefd), "0xfefd");
}

TEST(TlsClientHello, HighestSupportedVersionWins) {
  Hello hello;
  hello.ciphers = {0x1301};
  hello.extensions = {test::supported_versions({0x0303, 0x0304, 0x0302})};
  const TlsClientHello parsed_hello = parsed(test::client_hello(hello));
  EXPECT_EQ(parsed_hello.version, 0x0304);
  EXPECT_EQ(parsed_hello.ja4.substr(0, 3), "t13");
  hello.extensions = {test::supported_versions({0x7f1c})};  // a draft: unknown to JA4
  EXPECT_EQ(parsed(test::client_hello(hello)).ja4.substr(0, 3), "t00");
}

TEST(TlsStatusNames, StableUniqueSnakeCase) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < static_cast<std::size_t>(TlsStatus::kCount); ++i) {
    const std::string_view name = to_string(static_cast<TlsStatus>(i));
    EXPECT_NE(name, "unknown");
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos);
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(TlsStatus::kCount));
}

}  // namespace
}  // namespace mamori::decode
