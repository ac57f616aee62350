// ns per call for the application parsers the sieve runs on the first payload segment of each
// direction of an undecided flow: decode_tls_client_hello (record reassembly, ClientHello,
// JA3 + MD5, JA4 + two SHA-256) and decode_http_request, plus the quick rejections that most
// segments take. Inputs are built once; each iteration parses the same bytes.

#include <benchmark/benchmark.h>

#include <string>

#include "../tests/decode/tls_hello_builder.h"
#include "mamori/decode/app.h"
#include "mamori/decode/tls_fingerprint.h"

namespace {

namespace decode = mamori::decode;
namespace test = mamori::decode::test;

// Shaped like a current Chrome hello: GREASE, 15 ciphers, 16 extensions, a 1.2 KB ML-KEM key
// share, about 1.8 KB in all.
test::Hello browser_hello() {
  test::Hello hello;
  hello.ciphers = {0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                   0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  hello.extensions = {
      test::opaque(0x4a4a),
      test::opaque(0x002d, 2),
      test::opaque(0x0033, 2 + 5 + 1220 + 36),
      test::alpn({"h2", "http/1.1"}),
      test::opaque(0xfe0d, 186),
      test::opaque(0x0017),
      test::opaque(0x44cd, 5),
      test::sni("www.example.com"),
      test::point_formats({0}),
      test::u16_list(0x000a, {0x1a1a, 0x11ec, 0x001d, 0x0017, 0x0018}),
      test::supported_versions({0x6a6a, 0x0304, 0x0303}),
      test::opaque(0xff01, 1),
      test::opaque(0x0023),
      test::opaque(0x0012),
      test::opaque(0x0005, 5),
      test::u16_list(0x000d, {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601}),
      test::opaque(0x001b, 3),
      test::opaque(0x6a6a, 1),
  };
  return hello;
}

// Shaped like openssl s_client's TLS 1.2-only hello: no GREASE, 30 ciphers, 6 extensions.
test::Hello openssl_tls12_hello() {
  test::Hello hello;
  for (std::uint16_t cipher = 0xc000; cipher < 0xc000 + 30; ++cipher) {
    hello.ciphers.push_back(cipher);
  }
  hello.extensions = {test::sni("tls12.example"),
                      test::point_formats({0, 1, 2}),
                      test::u16_list(0x000a, {29, 23, 30, 25, 24}),
                      test::opaque(0x0016),
                      test::opaque(0x0017),
                      test::u16_list(0x000d, {0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806})};
  return hello;
}

void run_tls(benchmark::State& state, const test::Bytes& bytes) {
  decode::TlsClientHello hello;
  for (auto _ : state) {
    benchmark::DoNotOptimize(bytes.data());
    auto status = decode::decode_tls_client_hello(bytes, hello);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(hello.ja4.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

void BM_TlsClientHelloBrowser(benchmark::State& state) {
  run_tls(state, test::client_hello(browser_hello()));
}
BENCHMARK(BM_TlsClientHelloBrowser);

void BM_TlsClientHelloOpenssl12(benchmark::State& state) {
  run_tls(state, test::client_hello(openssl_tls12_hello()));
}
BENCHMARK(BM_TlsClientHelloOpenssl12);

// The rare split hello: 256-byte records, joined into a buffer first.
void BM_TlsClientHelloSplitRecords(benchmark::State& state) {
  run_tls(state, test::records(test::handshake(browser_hello()), 256));
}
BENCHMARK(BM_TlsClientHelloSplitRecords);

void BM_TlsNotHandshake(benchmark::State& state) {
  const std::string get = "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n";
  run_tls(state, test::Bytes(get.begin(), get.end()));
}
BENCHMARK(BM_TlsNotHandshake);

// The hashing share of a parse: MD5 of a JA3 string, SHA-256 of two JA4 lists.
void BM_TlsFingerprintHashes(benchmark::State& state) {
  const std::string ja3 =
      "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
      "45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0";
  const std::string ciphers = "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f";
  for (auto _ : state) {
    auto md5 = decode::tls::md5_hex(ja3);
    auto sha_a = decode::tls::sha256_hex(ciphers);
    auto sha_b = decode::tls::sha256_hex(ja3);
    benchmark::DoNotOptimize(md5.data());
    benchmark::DoNotOptimize(sha_a.data());
    benchmark::DoNotOptimize(sha_b.data());
  }
}
BENCHMARK(BM_TlsFingerprintHashes);

void run_http(benchmark::State& state, const std::string& text) {
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()),
                                            text.size());
  decode::HttpRequest request;
  for (auto _ : state) {
    benchmark::DoNotOptimize(bytes.data());
    auto status = decode::decode_http_request(bytes, request);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(request.host.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

// A browser-like request head of about 700 bytes with Host early and a long cookie after it.
void BM_HttpRequestBrowser(benchmark::State& state) {
  run_http(state,
           "GET /search?q=example&source=hp&ei=abcdefghijklmnop HTTP/1.1\r\n"
           "Host: www.example.com\r\n"
           "Connection: keep-alive\r\n"
           "Upgrade-Insecure-Requests: 1\r\n"
           "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0.0.0 Safari/537.36\r\n"
           "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
           "image/webp,*/*;q=0.8\r\n"
           "Accept-Encoding: gzip, deflate\r\n"
           "Accept-Language: en-US,en;q=0.9,ja;q=0.8\r\n"
           "Cookie: " +
               std::string(256, 'c') + "\r\n\r\n");
}
BENCHMARK(BM_HttpRequestBrowser);

void BM_HttpRequestCurl(benchmark::State& state) {
  run_http(state,
           "GET / HTTP/1.1\r\nHost: 192.0.2.1:8080\r\nUser-Agent: curl/7.88.1\r\n"
           "Accept: */*\r\n\r\n");
}
BENCHMARK(BM_HttpRequestCurl);

void BM_HttpNotHttp(benchmark::State& state) {
  run_http(state, std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
}
BENCHMARK(BM_HttpNotHttp);

}  // namespace
BENCHMARK_MAIN();
