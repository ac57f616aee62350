#pragma once
// capture/capture_file: opens a capture file (classic pcap or pcapng, told apart by the magic
// number) as a PacketSource. Files are memory-mapped and packets point into the mapping
// (zero copy). A truncated or corrupt file yields every packet before the fault, then
// NextStatus::error with "<name>: byte offset <n>: <what>"; open errors use the same form.
// Error texts never contain packet bytes (I1).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "mamori/capture/link_type.h"
#include "mamori/capture/packet_source.h"
#include "mamori/core/error.h"

namespace mamori::capture {

// Maps `path` and returns a reader for it. Fails for unopenable, empty and non-capture files
// and for a header that is corrupt or names an unsupported version or link type.
Result<std::unique_ptr<PacketSource>> open_capture_file(const std::string& path);

// The same reader over bytes the caller owns; `bytes` must outlive the source and every
// packet read from it. `name` stands in for the file name in error messages.
Result<std::unique_ptr<PacketSource>> open_capture_buffer(std::span<const std::uint8_t> bytes,
                                                          std::string name);

// True for the link types mamori decodes (the values of LinkType).
bool is_supported_link_type(std::uint32_t link_type);

// "Ethernet", "raw IP", ...; "unsupported" for any other value.
std::string_view link_type_name(LinkType link_type);

}  // namespace mamori::capture
