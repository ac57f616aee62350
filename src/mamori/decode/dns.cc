// decode/dns: the machine information of a DNS message (RFC 1035 §4): id, QR bit, rcode,
// question names and types, and the addresses of A and AAAA answers. Nothing else of the
// message is kept; authority and additional sections are not read.

#include "mamori/decode/app.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace mamori::decode {
namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kMaxNameWireLength = 255;  // RFC 1035 §2.3.4, length octets included
// A 255-octet name has at most 127 labels, so a legitimate encoder never needs more jumps.
constexpr int kMaxPointerJumps = 127;
constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeAaaa = 28;
constexpr std::uint16_t kClassIn = 1;

inline std::uint16_t load16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// A name in presentation form, built in place: a per-character std::string::push_back
// cost more than the rest of the parse. 255 wire octets hold at most 253 label bytes (4
// characters each when escaped) and fewer dots than that, so 1024 characters always suffice;
// read_name still checks before each label.
struct NameBuffer {
  static constexpr std::size_t kCapacity = 1024;
  std::array<char, kCapacity> chars;
  std::size_t size = 0;

  // Presentation form of one label byte, as dig prints it: ASCII letters lower-cased, '.'
  // and '\' escaped with a backslash, anything outside '!'..'~' as \DDD (three decimal
  // digits), so distinct wire names stay distinct and no control byte reaches a log or UI.
  void append_label_byte(std::uint8_t byte) {
    if (byte >= 'A' && byte <= 'Z') {
      chars[size++] = static_cast<char>(byte - 'A' + 'a');
    } else if (byte == '.' || byte == '\\') {
      chars[size++] = '\\';
      chars[size++] = static_cast<char>(byte);
    } else if (byte > 0x20 && byte < 0x7f) {
      chars[size++] = static_cast<char>(byte);
    } else {
      chars[size++] = '\\';
      chars[size++] = static_cast<char>('0' + byte / 100);
      chars[size++] = static_cast<char>('0' + byte / 10 % 10);
      chars[size++] = static_cast<char>('0' + byte % 10);
    }
  }
  std::string str() const { return std::string(chars.data(), size); }
};

// Reads the possibly compressed name at `offset`. On success `next` is the offset just past
// the name where it started (past its first pointer, or past its terminating zero octet).
// Loops are impossible by construction: a pointer must point before the start of the run of
// labels it ends (RFC 1035 §4.1.4, "a prior occurrence"), so run starts strictly decrease;
// jumps are capped as well. `name` may be null to only skip the name.
bool read_name(std::span<const std::uint8_t> message, std::size_t offset, std::size_t& next,
               NameBuffer* name) {
  std::size_t position = offset;
  std::size_t run_start = offset;
  std::size_t wire_length = 0;
  int jumps = 0;
  bool jumped = false;
  if (name != nullptr) name->size = 0;
  for (;;) {
    if (position >= message.size()) return false;
    const std::uint8_t length = message[position];
    if ((length & 0xc0) == 0xc0) {
      if (position + 1 >= message.size()) return false;
      const std::size_t target = (std::size_t{length & 0x3fu} << 8) | message[position + 1];
      if (target >= run_start || ++jumps > kMaxPointerJumps) return false;
      if (!jumped) next = position + 2;
      jumped = true;
      position = target;
      run_start = target;
      continue;
    }
    // 0x40 (RFC 6891 extended label types, never deployed) and 0x80 are reserved.
    if ((length & 0xc0) != 0) return false;
    wire_length += std::size_t{length} + 1;
    if (wire_length > kMaxNameWireLength) return false;
    if (length == 0) {
      if (!jumped) next = position + 1;
      return true;
    }
    if (position + 1 + length > message.size()) return false;
    if (name != nullptr) {
      if (name->size + 1 + 4 * std::size_t{length} > NameBuffer::kCapacity) return false;
      if (name->size != 0) name->chars[name->size++] = '.';
      for (std::size_t i = 1; i <= length; ++i) name->append_label_byte(message[position + i]);
    }
    position += 1 + std::size_t{length};
  }
}

bool parse_questions(std::span<const std::uint8_t> message, std::size_t count, std::size_t& offset,
                     DnsMessage& out) {
  NameBuffer name;
  for (std::size_t i = 0; i < count; ++i) {
    const bool keep = out.questions.size() < kMaxDnsQuestions;
    std::size_t next = 0;
    if (!read_name(message, offset, next, keep ? &name : nullptr)) return false;
    if (next + 4 > message.size()) return false;
    if (keep) {
      out.questions.push_back(DnsQuestion{name.str(), load16(message.data() + next)});
    }
    offset = next + 4;
  }
  return true;
}

bool parse_answers(std::span<const std::uint8_t> message, std::size_t count, std::size_t& offset,
                   DnsMessage& out) {
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t next = 0;
    if (!read_name(message, offset, next, nullptr)) return false;
    // type, class, TTL, RDLENGTH
    if (next + 10 > message.size()) return false;
    const std::uint8_t* fixed = message.data() + next;
    const std::uint16_t type = load16(fixed);
    // The top bit of the class is mDNS's cache-flush flag (RFC 6762 §10.2).
    const std::uint16_t rr_class = load16(fixed + 2) & 0x7fff;
    const std::size_t rdata_length = load16(fixed + 8);
    const std::size_t rdata = next + 10;
    if (rdata + rdata_length > message.size()) return false;
    if (rr_class == kClassIn && (type == kTypeA || type == kTypeAaaa)) {
      const std::size_t expected = type == kTypeA ? 4 : 16;
      if (rdata_length != expected) return false;
      if (out.answers.size() < kMaxDnsAnswers) {
        const std::uint8_t* address = message.data() + rdata;
        out.answers.push_back(
            type == kTypeA ? IpAddress::v4_bytes(std::span<const std::uint8_t, 4>(address, 4))
                           : IpAddress::v6(std::span<const std::uint8_t, 16>(address, 16)));
      }
    }
    offset = rdata + rdata_length;
  }
  return true;
}

}  // namespace

bool parse_dns(std::span<const std::uint8_t> message, DnsMessage& out) {
  out.id = 0;
  out.is_response = false;
  out.rcode = 0;
  out.questions.clear();
  out.answers.clear();
  if (message.size() < kHeaderSize) return false;
  const std::uint8_t* header = message.data();
  out.id = load16(header);
  out.is_response = (header[2] & 0x80) != 0;
  out.rcode = header[3] & 0x0f;
  const std::size_t question_count = load16(header + 4);
  const std::size_t answer_count = load16(header + 6);
  std::size_t offset = kHeaderSize;
  if (!parse_questions(message, question_count, offset, out)) return false;
  return parse_answers(message, answer_count, offset, out);
}

bool parse_dns_tcp(std::span<const std::uint8_t> segment, DnsMessage& out) {
  if (segment.size() < 2) {
    return parse_dns({}, out);  // resets `out`, returns false
  }
  const std::size_t length = load16(segment.data());
  if (length > segment.size() - 2) return parse_dns({}, out);
  return parse_dns(segment.subspan(2, length), out);
}

}  // namespace mamori::decode
