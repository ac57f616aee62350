// DNS parser tests. Wire format from RFC 1035 §4 (header, question, resource record, §4.1.4
// compression) and RFC 3596 (AAAA); the \DDD presentation of odd label bytes follows
// RFC 1035 §5.1 as dig prints it.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/decode/app.h"

namespace mamori::decode {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}

Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// "www.example.com" as labels; no escapes (tests needing odd bytes build labels by hand).
Bytes name(std::string_view dotted) {
  Bytes out;
  while (!dotted.empty()) {
    const auto dot = dotted.find('.');
    const auto label = dotted.substr(0, dot);
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
  }
  out.push_back(0);
  return out;
}

Bytes pointer(std::uint16_t offset) {
  return {static_cast<std::uint8_t>(0xc0 | (offset >> 8)), static_cast<std::uint8_t>(offset)};
}

struct Message {
  Bytes bytes;
  explicit Message(std::uint16_t id, std::uint16_t flags, std::uint16_t questions,
                   std::uint16_t answers) {
    put16(bytes, id);
    put16(bytes, flags);
    put16(bytes, questions);
    put16(bytes, answers);
    put16(bytes, 0);
    put16(bytes, 0);
  }
  Message& raw(const Bytes& b) {
    bytes.insert(bytes.end(), b.begin(), b.end());
    return *this;
  }
  Message& question(const Bytes& owner, std::uint16_t type, std::uint16_t qclass = 1) {
    raw(owner);
    put16(bytes, type);
    put16(bytes, qclass);
    return *this;
  }
  Message& answer(const Bytes& owner, std::uint16_t type, const Bytes& rdata,
                  std::uint16_t rr_class = 1) {
    raw(owner);
    put16(bytes, type);
    put16(bytes, rr_class);
    put16(bytes, 0);
    put16(bytes, 300);  // TTL
    put16(bytes, static_cast<std::uint16_t>(rdata.size()));
    return raw(rdata);
  }
  std::span<const std::uint8_t> span() const { return bytes; }
};

constexpr std::uint16_t kQuery = 0x0100;     // RD
constexpr std::uint16_t kResponse = 0x8180;  // QR RD RA
constexpr std::uint16_t kA = 1, kAaaa = 28, kCname = 5, kMx = 15, kTxt = 16;

const Bytes kV4{192, 0, 2, 1};
const Bytes kV6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};

TEST(ParseDns, Query) {
  const Message m = Message(0xbeef, kQuery, 1, 0).question(name("WWW.Example.COM"), kAaaa);
  DnsMessage out;
  ASSERT_TRUE(parse_dns(m.span(), out));
  EXPECT_EQ(out.id, 0xbeef);
  EXPECT_FALSE(out.is_response);
  EXPECT_EQ(out.rcode, 0);
  ASSERT_EQ(out.questions.size(), 1u);
  EXPECT_EQ(out.questions[0].name, "www.example.com");
  EXPECT_EQ(out.questions[0].type, kAaaa);
  EXPECT_TRUE(out.answers.empty());
}

TEST(ParseDns, ResponseCollectsOnlyAddresses) {
  // CNAME → A via a pointer into the CNAME rdata; MX and TXT skipped; AAAA collected.
  Message m(7, kResponse, 1, 5);
  m.question(name("alias.example.com"), kA);  // name at 12
  m.answer(pointer(12), kCname, Bytes{3, 'w', 'w', 'w'} + pointer(18));
  const std::uint16_t cname_rdata = static_cast<std::uint16_t>(m.bytes.size() - 6);
  m.answer(pointer(cname_rdata), kA, kV4);
  m.answer(pointer(12), kMx, Bytes{0, 10} + name("mx.example.com"));
  m.answer(pointer(12), kTxt, Bytes{3, 'a', 'b', 'c'});
  m.answer(pointer(12), kAaaa, kV6);
  DnsMessage out;
  ASSERT_TRUE(parse_dns(m.span(), out));
  EXPECT_TRUE(out.is_response);
  ASSERT_EQ(out.answers.size(), 2u);
  EXPECT_EQ(out.answers[0].to_string(), "192.0.2.1");
  EXPECT_EQ(out.answers[1].to_string(), "2001:db8::1");
}

TEST(ParseDns, ResponseCodeAndRootName) {
  const Message m = Message(1, kResponse | 3, 1, 0).question(Bytes{0}, 2);
  DnsMessage out;
  ASSERT_TRUE(parse_dns(m.span(), out));
  EXPECT_EQ(out.rcode, 3);
  ASSERT_EQ(out.questions.size(), 1u);
  EXPECT_EQ(out.questions[0].name, "");
  EXPECT_EQ(out.questions[0].type, 2);
}

TEST(ParseDns, OddLabelBytesAreEscapedLikeDig) {
  const Bytes label{9, 'A', '.', 'b', '\\', ' ', 0x00, 0xff, 0x7f, '~'};
  const Message m = Message(1, kQuery, 1, 0).question(label + name("Example"), kA);
  DnsMessage out;
  ASSERT_TRUE(parse_dns(m.span(), out));
  EXPECT_EQ(out.questions[0].name, "a\\.b\\\\\\032\\000\\255\\127~.example");
}

TEST(ParseDns, AnswerTypesAndClasses) {
  Message m(1, kResponse, 1, 4);
  m.question(name("a.example"), kA);
  m.answer(pointer(12), kA, kV4, 3);        // class CH: not an address of the Internet class
  m.answer(pointer(12), kA, kV4, 0x8001);   // mDNS cache-flush bit: IN
  m.answer(pointer(12), 99, kV4);           // unknown type, same rdata length
  m.answer(name("b.example"), kAaaa, kV6);  // uncompressed owner
  DnsMessage out;
  ASSERT_TRUE(parse_dns(m.span(), out));
  ASSERT_EQ(out.answers.size(), 2u);
  EXPECT_TRUE(out.answers[0].is_v4());
  EXPECT_FALSE(out.answers[1].is_v4());
}

TEST(ParseDns, WrongAddressLengthIsMalformed) {
  Message m(1, kResponse, 1, 1);
  m.question(name("a.example"), kA).answer(pointer(12), kA, Bytes{1, 2, 3, 4, 5});
  DnsMessage out;
  EXPECT_FALSE(parse_dns(m.span(), out));
  EXPECT_EQ(out.questions.size(), 1u);  // what was parsed before the fault stays
}

TEST(ParseDns, Caps) {
  Message m(1, kResponse, 6, 20);
  for (int i = 0; i < 6; ++i) m.question(name("q" + std::to_string(i) + ".example"), kA);
  for (int i = 0; i < 20; ++i) {
    m.answer(pointer(12), kA, Bytes{192, 0, 2, static_cast<std::uint8_t>(i)});
  }
  DnsMessage out;
  ASSERT_TRUE(parse_dns(m.span(), out));
  ASSERT_EQ(out.questions.size(), kMaxDnsQuestions);
  EXPECT_EQ(out.questions[3].name, "q3.example");
  ASSERT_EQ(out.answers.size(), kMaxDnsAnswers);
  EXPECT_EQ(out.answers[15].to_string(), "192.0.2.15");
}

TEST(ParseDns, CompressionLoopsAreRejected) {
  DnsMessage out;
  // A name that is a pointer to itself.
  EXPECT_FALSE(parse_dns(Message(1, kQuery, 1, 0).question(pointer(12), kA).span(), out));
  // Two names pointing at each other (12 → 22 → 12): the forward half is refused.
  Message mutual(1, kQuery, 2, 0);
  mutual.question(Bytes{1, 'a'} + pointer(22), kA);  // 12..15, type/class 16..19
  mutual.question(Bytes{1, 'b'} + pointer(12), kA);  // 20..23
  EXPECT_FALSE(parse_dns(mutual.span(), out));
  // A pointer into its own labels: "a" then a pointer back to the "a".
  EXPECT_FALSE(
      parse_dns(Message(1, kQuery, 1, 0).question(Bytes{1, 'a'} + pointer(12), kA).span(), out));
}

TEST(ParseDns, ForwardAndOutOfRangePointersAreRejected) {
  DnsMessage out;
  // The question points forward to a name stored after it.
  Message forward(1, kQuery, 1, 0);
  forward.question(pointer(18), kA).raw(name("example"));
  EXPECT_FALSE(parse_dns(forward.span(), out));
  EXPECT_FALSE(parse_dns(Message(1, kQuery, 1, 0).question(pointer(0x3fff), kA).span(), out));
  // A backward pointer to a valid name is fine, even into the middle of a name.
  Message backward(1, kQuery, 2, 0);
  backward.question(name("www.example.com"), kA);  // 12..28, "example" at 16
  backward.question(Bytes{4, 'm', 'a', 'i', 'l'} + pointer(16), kMx);
  ASSERT_TRUE(parse_dns(backward.span(), out));
  EXPECT_EQ(out.questions[1].name, "mail.example.com");
}

TEST(ParseDns, ReservedLabelTypesAreRejected) {
  DnsMessage out;
  EXPECT_FALSE(parse_dns(Message(1, kQuery, 1, 0).question(Bytes{0x41, 0, 0}, kA).span(), out));
  EXPECT_FALSE(parse_dns(Message(1, kQuery, 1, 0).question(Bytes{0x81, 0, 0}, kA).span(), out));
}

Bytes long_name(std::size_t wire_length) {
  // Labels of 63 bytes (64 on the wire) and one remainder label, then the root.
  Bytes out;
  std::size_t left = wire_length - 1;
  while (left > 0) {
    const std::size_t label = std::min<std::size_t>(63, left - 1);
    out.push_back(static_cast<std::uint8_t>(label));
    out.insert(out.end(), label, 'x');
    left -= label + 1;
  }
  out.push_back(0);
  return out;
}

TEST(ParseDns, NameLengthLimit) {
  DnsMessage out;
  ASSERT_EQ(long_name(255).size(), 255u);
  ASSERT_TRUE(parse_dns(Message(1, kQuery, 1, 0).question(long_name(255), kA).span(), out));
  EXPECT_EQ(out.questions[0].name.size(), 253u);  // 255 minus first length octet and root
  EXPECT_FALSE(parse_dns(Message(1, kQuery, 1, 0).question(long_name(256), kA).span(), out));
  // Compression cannot be used to exceed the limit: 200 bytes of labels + a 100-byte suffix.
  Message m(1, kQuery, 2, 0);
  m.question(long_name(101), kA);  // at 12
  Bytes labels = long_name(201);
  labels.pop_back();
  m.question(labels + pointer(12), kA);
  EXPECT_FALSE(parse_dns(m.span(), out));
}

TEST(ParseDns, TruncatedAtEveryLength) {
  Message m(9, kResponse, 1, 3);
  m.question(name("www.example.com"), kA);
  m.answer(pointer(12), kCname, name("web.example.net"));
  m.answer(name("web.example.net"), kA, kV4);
  m.answer(pointer(12), kAaaa, kV6);
  DnsMessage out;
  ASSERT_TRUE(parse_dns(m.span(), out));
  ASSERT_EQ(out.answers.size(), 2u);
  for (std::size_t length = 0; length < m.bytes.size(); ++length) {
    EXPECT_FALSE(parse_dns(m.span().first(length), out)) << length;
  }
}

TEST(ParseDns, CountsLargerThanTheMessage) {
  DnsMessage out;
  EXPECT_FALSE(parse_dns(Message(1, kQuery, 65535, 0).question(name("a"), kA).span(), out));
  EXPECT_FALSE(parse_dns(Message(1, kResponse, 1, 65535).question(name("a"), kA).span(), out));
}

TEST(ParseDns, ResetsPreviousResult) {
  Message full(1, kResponse | 2, 1, 1);
  full.question(name("a.example"), kA).answer(pointer(12), kA, kV4);
  DnsMessage out;
  ASSERT_TRUE(parse_dns(full.span(), out));
  ASSERT_TRUE(parse_dns(Message(2, kQuery, 0, 0).span(), out));
  EXPECT_EQ(out.id, 2);
  EXPECT_EQ(out.rcode, 0);
  EXPECT_TRUE(out.questions.empty());
  EXPECT_TRUE(out.answers.empty());
  EXPECT_FALSE(parse_dns(Bytes{1, 2, 3}, out));
  EXPECT_EQ(out.id, 0);
}

Bytes with_length_prefix(const Bytes& message) {
  Bytes out;
  put16(out, static_cast<std::uint16_t>(message.size()));
  return out + message;
}

TEST(ParseDnsTcp, LengthPrefixed) {
  const Message first = Message(1, kQuery, 1, 0).question(name("first.example"), kA);
  const Message second = Message(2, kQuery, 1, 0).question(name("second.example"), kA);
  DnsMessage out;
  ASSERT_TRUE(parse_dns_tcp(with_length_prefix(first.bytes), out));
  EXPECT_EQ(out.questions[0].name, "first.example");
  // Two messages in one segment: the first one.
  ASSERT_TRUE(
      parse_dns_tcp(with_length_prefix(first.bytes) + with_length_prefix(second.bytes), out));
  EXPECT_EQ(out.id, 1);
  // The length prefix bounds the message: trailing bytes are not part of it.
  Bytes padded = with_length_prefix(first.bytes);
  padded.push_back(0xff);
  ASSERT_TRUE(parse_dns_tcp(padded, out));
}

TEST(ParseDnsTcp, IncompleteSegments) {
  const Message m = Message(1, kQuery, 1, 0).question(name("a.example"), kA);
  const Bytes framed = with_length_prefix(m.bytes);
  DnsMessage out;
  ASSERT_TRUE(parse_dns_tcp(framed, out));
  for (std::size_t length = 0; length < framed.size(); ++length) {
    EXPECT_FALSE(parse_dns_tcp(std::span<const std::uint8_t>(framed).first(length), out)) << length;
    EXPECT_TRUE(out.questions.empty());
  }
  EXPECT_FALSE(parse_dns_tcp(Bytes{0, 0}, out));  // zero-length message
  // Without the prefix the header's id is read as a length: rejected, not misparsed.
  EXPECT_FALSE(parse_dns_tcp(m.bytes, out));
}

}  // namespace
}  // namespace mamori::decode
