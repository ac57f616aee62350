#include "mamori/capture/capture_file.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <utility>

#include "mamori/capture/mapped_file.h"
#include "mamori/capture/pcap_file_source.h"
#include "mamori/capture/pcapng_file_source.h"

namespace mamori::capture {
namespace {

constexpr std::uint32_t kPcapMagics[] = {0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1};
constexpr std::uint32_t kPcapngMagic = 0x0a0d0d0a;
// Kuznetzov's patched pcap (extra record fields): recognised only to say so clearly.
constexpr std::uint32_t kPatchedPcapMagics[] = {0xa1b2cd34, 0x34cdb2a1};

template <class Source>
Result<std::unique_ptr<PacketSource>> open_as(std::span<const std::uint8_t> bytes, std::string name,
                                              MappedFile storage) {
  auto source = Source::open(bytes, std::move(name), std::move(storage));
  if (!source) return fail(std::move(source.error()));
  return std::unique_ptr<PacketSource>(std::move(*source));
}

Result<std::unique_ptr<PacketSource>> open_bytes(std::span<const std::uint8_t> bytes,
                                                 std::string name, MappedFile storage) {
  if (bytes.empty()) return fail("{}: file is empty (0 bytes), not a capture file", name);
  if (bytes.size() < 4) {
    return fail("{}: {} bytes are too few for a capture file", name, bytes.size());
  }
  std::uint32_t magic;
  std::memcpy(&magic, bytes.data(), sizeof magic);
  if (std::ranges::find(kPcapMagics, magic) != std::end(kPcapMagics)) {
    return open_as<PcapFileSource>(bytes, std::move(name), std::move(storage));
  }
  if (magic == kPcapngMagic) {
    return open_as<PcapngFileSource>(bytes, std::move(name), std::move(storage));
  }
  if (std::ranges::find(kPatchedPcapMagics, magic) != std::end(kPatchedPcapMagics)) {
    return fail(
        "{}: byte offset 0: modified (Kuznetzov) pcap is not supported; convert it with "
        "'editcap -F pcap'",
        name);
  }
  return fail("{}: byte offset 0: not a pcap or pcapng file (unknown magic number)", name);
}

}  // namespace

Result<std::unique_ptr<PacketSource>> open_capture_file(const std::string& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped) return fail(std::move(mapped.error()));
  const std::span<const std::uint8_t> bytes = mapped->bytes();
  return open_bytes(bytes, path, std::move(*mapped));
}

Result<std::unique_ptr<PacketSource>> open_capture_buffer(std::span<const std::uint8_t> bytes,
                                                          std::string name) {
  return open_bytes(bytes, std::move(name), MappedFile{});
}

bool is_supported_link_type(std::uint32_t link_type) {
  if (link_type > 0xffff) return false;
  switch (static_cast<LinkType>(link_type)) {
    case LinkType::ethernet:
    case LinkType::raw:
    case LinkType::linux_sll:
    case LinkType::ipv4:
    case LinkType::ipv6:
    case LinkType::linux_sll2:
      return true;
  }
  return false;
}

std::string_view link_type_name(LinkType link_type) {
  switch (link_type) {
    case LinkType::ethernet:
      return "Ethernet";
    case LinkType::raw:
      return "raw IP";
    case LinkType::linux_sll:
      return "Linux cooked (SLL)";
    case LinkType::ipv4:
      return "raw IPv4";
    case LinkType::ipv6:
      return "raw IPv6";
    case LinkType::linux_sll2:
      return "Linux cooked v2 (SLL2)";
  }
  return "unsupported";
}

}  // namespace mamori::capture
