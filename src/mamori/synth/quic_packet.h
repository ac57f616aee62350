#pragma once
// synth/quic_packet: QUIC-like datagrams (RFC 9000 §17): long-header Initial and Handshake
// packets with real header fields around random (as if protected) payload, and short-header
// 1-RTT packets. Not decryptable: synth does not derive Initial keys.

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "mamori/synth/prng.h"

namespace mamori::synth {

using ConnectionId = std::array<std::uint8_t, 8>;

enum class QuicLongType : std::uint8_t { initial = 0, zero_rtt = 1, handshake = 2 };

// Appends one long-header packet whose total size is `size` bytes (≥ 64).
void write_quic_long(std::vector<std::uint8_t>& out, QuicLongType type, const ConnectionId& dcid,
                     const ConnectionId& scid, std::size_t size, Rng& rng);

// The header of a 1-RTT short-header packet (first byte + DCID); the rest is fill.
void write_quic_short_header(std::vector<std::uint8_t>& out, const ConnectionId& dcid, Rng& rng);

}  // namespace mamori::synth
