#pragma once
// synth/payload_fill: the bulk of generated payload bytes ("fill") that follow a message's
// explicit head: opaque random bytes, HTML-like text, or TLS application-data records, with
// the benign canary planted in every segment that has room for it. Fill is produced segment
// by segment straight into the frame buffer, never materialised per flow.

#include <cstdint>
#include <span>
#include <vector>

#include "mamori/synth/prng.h"

namespace mamori::synth {

enum class FillKind : std::uint8_t {
  random,       // encrypted or compressed data
  text,         // HTML/JSON-like text (slices of a per-run text block)
  tls_records,  // TLS 1.2/1.3 application_data records; size with tls_records_size()
};

// TLS record framing used by FillKind::tls_records: 5-byte header + up to 16401 bytes
// (16384 of plaintext + content type + 16-byte AEAD tag).
inline constexpr std::uint64_t kTlsRecordBody = 16401;
inline constexpr std::uint64_t kTlsRecordSpan = 5 + kTlsRecordBody;

// Bytes on the wire for `plaintext` bytes sent as TLS records (at least one record).
std::uint64_t tls_records_size(std::uint64_t plaintext);

// Read-only material shared by every flow of a run.
struct FillContext {
  explicit FillContext(std::uint64_t seed);
  std::vector<std::uint8_t> text;  // 64 KiB of word soup
};

// Writes bytes [offset, offset + out.size()) of a fill stream of `total` bytes, and plants
// `canary` once in `out` when it fits (avoiding TLS record headers).
void write_fill(const FillContext& context, FillKind kind, std::uint64_t total,
                std::uint64_t offset, std::span<std::uint8_t> out, Rng& rng,
                std::span<const std::uint8_t> canary);

}  // namespace mamori::synth
