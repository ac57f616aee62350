#include "mamori/synth/quic_packet.h"

#include "mamori/synth/byte_writer.h"

namespace mamori::synth {

void write_quic_long(std::vector<std::uint8_t>& out, QuicLongType type, const ConnectionId& dcid,
                     const ConnectionId& scid, std::size_t size, Rng& rng) {
  if (size < 64) size = 64;
  ByteWriter w(out);
  const std::size_t start = w.size();
  // Header form 1, fixed bit 1, type, 2-byte packet number (length field 1); the low bits
  // are header-protected on the wire, so random-looking either way.
  w.u8(static_cast<std::uint8_t>(0xc0 | (static_cast<unsigned>(type) << 4) | 0x01));
  w.u32(0x00000001);  // QUIC version 1
  w.u8(static_cast<std::uint8_t>(dcid.size()));
  w.bytes(dcid);
  w.u8(static_cast<std::uint8_t>(scid.size()));
  w.bytes(scid);
  if (type == QuicLongType::initial) w.u8(0);       // token length (varint 0)
  const std::size_t header = w.size() - start + 2;  // + the 2-byte Length varint
  const std::size_t rest = size - header;           // packet number + protected payload
  w.u16(static_cast<std::uint16_t>(0x4000 | rest));
  rng.fill(w.grow(rest));
}

void write_quic_short_header(std::vector<std::uint8_t>& out, const ConnectionId& dcid, Rng& rng) {
  ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(0x40 | (rng.below(64) & 0x3f)));
  w.bytes(dcid);
}

}  // namespace mamori::synth
