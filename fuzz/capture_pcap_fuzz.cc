// Fuzz target for the capture file readers (classic pcap and pcapng, told apart by magic):
// every input is opened from memory and read to the end. Beyond the sanitizers it checks the
// PacketSource contract: packet bytes lie inside the input, data.size() <= wire_length, the
// position only moves forward, and end/error are sticky.

#include <cstddef>
#include <cstdint>
#include <span>

#include "mamori/capture/capture_file.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mamori::capture;
  const std::span<const std::uint8_t> input(data, size);
  auto source = open_capture_buffer(input, "fuzz");
  if (!source) {
    check(!source.error().message.empty());
    return 0;
  }
  PacketSource& reader = **source;
  check(reader.bytes_total() == size);
  RawPacket packet;
  std::uint64_t position = reader.bytes_read();
  unsigned checksum = 0;
  NextStatus status;
  while ((status = reader.next(packet)) == NextStatus::packet) {
    check(packet.data.size() <= packet.wire_length);
    check(packet.data.empty() ||
          (packet.data.data() >= data && packet.data.data() + packet.data.size() <= data + size));
    for (const std::uint8_t byte : packet.data) checksum += byte;  // touch every byte
    check(reader.bytes_read() > position && reader.bytes_read() <= size);
    position = reader.bytes_read();
  }
  if (status == NextStatus::error) check(!reader.error().message.empty());
  check(reader.next(packet) == status);  // sticky
  return static_cast<int>(checksum & 0);
}
