// Fuzz target for parse_dns and parse_dns_tcp: the whole input is tried both as a UDP
// datagram and as the start of a TCP stream. Checks the caps and that names stay printable.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "mamori/decode/app.h"

namespace {

void check(const mamori::decode::DnsMessage& message) {
  if (message.questions.size() > mamori::decode::kMaxDnsQuestions) std::abort();
  if (message.answers.size() > mamori::decode::kMaxDnsAnswers) std::abort();
  for (const auto& question : message.questions) {
    // 253 presentation characters at most, each label byte escaped to at most 4 characters.
    if (question.name.size() > 4 * 255) std::abort();
    for (char c : question.name) {
      if (c <= 0x20 || c >= 0x7f || (c >= 'A' && c <= 'Z')) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  mamori::decode::DnsMessage message;
  mamori::decode::parse_dns(input, message);
  check(message);
  mamori::decode::parse_dns_tcp(input, message);
  check(message);
  return 0;
}
