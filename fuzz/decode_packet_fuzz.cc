// Fuzz target for decode_packet. The first input byte picks the link type, the rest is the
// frame. Beyond "no crash, no out-of-bounds read" (ASan/UBSan) it checks the contract: the
// payload is a view inside the frame and the caller's fields survive.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "mamori/decode/packet.h"

namespace {

using mamori::capture::LinkType;

constexpr std::array<LinkType, 7> kLinkTypes{
    LinkType::ethernet, LinkType::raw,        LinkType::linux_sll,       LinkType::ipv4,
    LinkType::ipv6,     LinkType::linux_sll2, static_cast<LinkType>(147)};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const LinkType link = kLinkTypes[data[0] % kLinkTypes.size()];
  const std::span<const std::uint8_t> frame(data + 1, size - 1);
  mamori::decode::DecodedPacket out;
  out.wire_length = 77;
  const auto status = mamori::decode::decode_packet(link, frame, out);
  if (static_cast<std::size_t>(status) >=
      static_cast<std::size_t>(mamori::decode::DecodeStatus::kCount)) {
    std::abort();
  }
  if (out.wire_length != 77) std::abort();
  if (!out.payload.empty() &&
      (out.payload.data() < frame.data() ||
       out.payload.data() + out.payload.size() > frame.data() + frame.size())) {
    std::abort();
  }
  if (status == mamori::decode::DecodeStatus::ok && !out.has_transport) std::abort();
  return 0;
}
