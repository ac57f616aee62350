#include "mamori/synth/tls_hello.h"

#include "mamori/decode/tls_fingerprint.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "mamori/synth/byte_writer.h"

namespace mamori::synth {
namespace {

constexpr std::uint16_t kGrease = 0x0a0a;  // placeholder in the tables: "a GREASE value here"

namespace ext {
constexpr std::uint16_t server_name = 0x0000;
constexpr std::uint16_t status_request = 0x0005;
constexpr std::uint16_t supported_groups = 0x000a;
constexpr std::uint16_t ec_point_formats = 0x000b;
constexpr std::uint16_t signature_algorithms = 0x000d;
constexpr std::uint16_t alpn = 0x0010;
constexpr std::uint16_t padding = 0x0015;
constexpr std::uint16_t compress_certificate = 0x001b;
constexpr std::uint16_t record_size_limit = 0x001c;
constexpr std::uint16_t delegated_credentials = 0x0022;
constexpr std::uint16_t session_ticket = 0x0023;
constexpr std::uint16_t supported_versions = 0x002b;
constexpr std::uint16_t psk_key_exchange_modes = 0x002d;
constexpr std::uint16_t key_share = 0x0033;
constexpr std::uint16_t application_settings = 0x44cd;
constexpr std::uint16_t application_settings_old = 0x4469;
constexpr std::uint16_t encrypted_client_hello = 0xfe0d;
constexpr std::uint16_t renegotiation_info = 0xff01;
}  // namespace ext

struct ProfileDef {
  std::string_view name;
  std::vector<std::uint16_t> ciphers;
  std::vector<std::uint16_t> extensions;
  std::vector<std::uint16_t> groups;
  std::vector<std::uint16_t> signature_algorithms;
  std::vector<std::uint16_t> versions;
  std::vector<std::uint8_t> point_formats;
  std::vector<std::string_view> alpn;
  std::vector<std::uint16_t> key_shares;  // groups that get a key share
  std::vector<std::uint16_t> compress_algorithms;
  bool shuffle = false;
  bool session_id = true;
  bool pad_to_512 = false;  // OpenSSL: pad hellos of 256..511 bytes to 512
};

// Parameter lists modelled on what these clients sent in 2025; the fingerprints they give
// are whatever fingerprint() computes, not claims about real browsers.
const std::array<ProfileDef, static_cast<std::size_t>(TlsProfile::kCount)>& profiles() {
  static const std::array<ProfileDef, static_cast<std::size_t>(TlsProfile::kCount)> kProfiles = {{
      {"chrome",
       {kGrease, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
        0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
       {kGrease, 0x002d, 0x0033, 0x0010, 0xfe0d, 0x0017, 0x44cd, 0x0000, 0x000b, 0x000a, 0x002b,
        0xff01, 0x0023, 0x0012, 0x0005, 0x000d, 0x001b, kGrease},
       {kGrease, 0x11ec, 0x001d, 0x0017, 0x0018},
       {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
       {kGrease, 0x0304, 0x0303},
       {0},
       {"h2", "http/1.1"},
       {kGrease, 0x001d},
       {0x0002},
       true,
       true,
       false},
      {"firefox",
       {0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009,
        0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
       {0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005, 0x0022, 0x0033, 0x002b,
        0x000d, 0x002d, 0x001c, 0x001b, 0xfe0d},
       {0x11ec, 0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101},
       {0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201},
       {0x0304, 0x0303},
       {0},
       {"h2", "http/1.1"},
       {0x001d, 0x0017},
       {0x0001, 0x0002, 0x0003},
       false,
       true,
       false},
      {"safari",
       {kGrease, 0x1301, 0x1302, 0x1303, 0xc02c, 0xc02b, 0xcca9, 0xc030, 0xc02f, 0xcca8, 0xc00a,
        0xc009,  0xc014, 0xc013, 0x009d, 0x009c, 0x0035, 0x002f, 0xc008, 0xc012, 0x000a},
       {kGrease, 0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0010, 0x0005, 0x000d, 0x0012, 0x0033,
        0x002d, 0x002b, 0x001b, kGrease},
       {kGrease, 0x001d, 0x0017, 0x0018, 0x0019},
       {0x0403, 0x0804, 0x0401, 0x0503, 0x0203, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201},
       {kGrease, 0x0304, 0x0303, 0x0302, 0x0301},
       {0},
       {"h2", "http/1.1"},
       {kGrease, 0x001d},
       {0x0001},
       false,
       true,
       false},
      {"curl",
       {0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f,
        0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009,
        0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff},
       {0x0000, 0x000b, 0x000a, 0x0023, 0x0010, 0x0016, 0x0017, 0x0031, 0x000d, 0x002b, 0x002d,
        0x0033, 0x0015},
       {0x001d, 0x0017, 0x001e, 0x0019, 0x0018, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104},
       {0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x081a, 0x081b, 0x081c, 0x0809, 0x080a, 0x080b,
        0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601},
       {0x0304, 0x0303},
       {0, 1, 2},
       {"h2", "http/1.1"},
       {0x001d},
       {},
       false,
       true,
       true},
      {"schannel",
       {0xc02c, 0xc02b, 0xc030, 0xc02f, 0xc024, 0xc023, 0xc028, 0xc027, 0xc00a, 0xc009, 0xc014,
        0xc013, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x000a},
       {0x0000, 0x0005, 0x000a, 0x000b, 0x000d, 0x0023, 0x0010, 0x0017, 0xff01},
       {0x001d, 0x0017, 0x0018},
       {0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0201, 0x0403, 0x0503, 0x0203, 0x0202, 0x0601,
        0x0603},
       {},
       {0},
       {"h2", "http/1.1"},
       {},
       {},
       false,
       true,
       false},
      {"go",
       {0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014, 0x009c,
        0x009d, 0x002f, 0x0035, 0xc012, 0x000a, 0x1301, 0x1302, 0x1303},
       {0x0000, 0x0005, 0x000a, 0x000b, 0x000d, 0xff01, 0x0010, 0x0012, 0x0023, 0x002b, 0x0033},
       {0x001d, 0x0017, 0x0018, 0x0019},
       {0x0804, 0x0403, 0x0807, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0503, 0x0603, 0x0201,
        0x0203},
       {0x0304, 0x0303},
       {0},
       {"h2", "http/1.1"},
       {0x001d},
       {},
       false,
       true,
       false},
      {"implant",
       {0xc030, 0xc02f, 0xc028, 0xc027, 0xc014, 0xc013, 0x009f, 0x009e, 0x006b, 0x0067, 0x0039,
        0x0033, 0x00ff},
       {0x000b, 0x000a, 0x0023, 0x000d, 0x0016, 0x0017, 0x0000},
       {0x0017, 0x0018, 0x0019},
       {0x0601, 0x0602, 0x0603, 0x0501, 0x0502, 0x0503, 0x0401, 0x0402, 0x0403, 0x0301, 0x0302,
        0x0303, 0x0201, 0x0202, 0x0203},
       {},
       {0, 1, 2},
       {},
       {},
       {},
       false,
       false,
       false},
  }};
  return kProfiles;
}

const ProfileDef& def(TlsProfile profile) { return profiles()[static_cast<std::size_t>(profile)]; }

std::uint16_t random_grease(Rng& rng) {
  const auto nibble = static_cast<std::uint16_t>(rng.below(16));
  return static_cast<std::uint16_t>((nibble << 12) | 0x0a00 | (nibble << 4) | 0x0a);
}

// Writes the body of one extension (without type and length).
struct HelloState {
  const ProfileDef& profile;
  const ClientHelloSpec& spec;
  const HelloParameters& params;
  Rng& rng;
  std::uint16_t group_grease;
  bool first_grease_written = false;
};

void write_extension_body(ByteWriter& w, std::uint16_t type, HelloState& state) {
  const auto& p = state.profile;
  Rng& rng = state.rng;
  switch (type) {
    case ext::server_name: {
      const auto list = w.reserve_u16();
      w.u8(0);
      w.u16(static_cast<std::uint16_t>(state.spec.sni.size()));
      w.text(state.spec.sni);
      w.patch_length(list, 2);
      break;
    }
    case ext::status_request:
      w.u8(1);
      w.u32(0);
      break;
    case ext::supported_groups: {
      const auto list = w.reserve_u16();
      for (const auto g : state.params.groups) w.u16(g);
      w.patch_length(list, 2);
      break;
    }
    case ext::ec_point_formats:
      w.u8(static_cast<std::uint8_t>(p.point_formats.size()));
      for (const auto f : p.point_formats) w.u8(f);
      break;
    case ext::signature_algorithms: {
      const auto list = w.reserve_u16();
      for (const auto s : p.signature_algorithms) w.u16(s);
      w.patch_length(list, 2);
      break;
    }
    case ext::alpn: {
      const auto list = w.reserve_u16();
      for (const auto name : p.alpn) {
        w.u8(static_cast<std::uint8_t>(name.size()));
        w.text(name);
      }
      w.patch_length(list, 2);
      break;
    }
    case ext::session_ticket:
      w.bytes(state.spec.ticket);
      break;
    case ext::supported_versions:
      w.u8(static_cast<std::uint8_t>(state.params.versions.size() * 2));
      for (const auto v : state.params.versions) w.u16(v);
      break;
    case ext::psk_key_exchange_modes:
      w.u8(1);
      w.u8(1);  // psk_dhe_ke
      break;
    case ext::key_share: {
      const auto list = w.reserve_u16();
      for (const auto group : p.key_shares) {
        if (group == kGrease) {
          w.u16(state.group_grease);
          w.u16(1);
          w.u8(0);
        } else {
          w.u16(group);
          const std::size_t size = group == 0x001d ? 32 : 65;
          w.u16(static_cast<std::uint16_t>(size));
          auto key = w.grow(size);
          rng.fill(key);
          if (size == 65) key[0] = 4;  // uncompressed point
        }
      }
      w.patch_length(list, 2);
      break;
    }
    case ext::compress_certificate:
      w.u8(static_cast<std::uint8_t>(p.compress_algorithms.size() * 2));
      for (const auto a : p.compress_algorithms) w.u16(a);
      break;
    case ext::record_size_limit:
      w.u16(0x4001);
      break;
    case ext::delegated_credentials: {
      const auto list = w.reserve_u16();
      for (const auto s : {0x0403, 0x0503, 0x0603, 0x0203}) w.u16(static_cast<std::uint16_t>(s));
      w.patch_length(list, 2);
      break;
    }
    case ext::application_settings:
    case ext::application_settings_old: {
      const auto list = w.reserve_u16();
      w.u8(2);
      w.text("h2");
      w.patch_length(list, 2);
      break;
    }
    case ext::encrypted_client_hello: {  // a GREASE ECH (draft-ietf-tls-esni §6.2)
      w.u8(0);                           // outer
      w.u16(0x0001);                     // HKDF-SHA256
      w.u16(0x0001);                     // AES-128-GCM
      w.u8(static_cast<std::uint8_t>(rng.below(256)));
      w.u16(32);
      rng.fill(w.grow(32));
      const auto size = static_cast<std::uint16_t>(144 + 32 * rng.below(4));
      w.u16(size);
      rng.fill(w.grow(size));
      break;
    }
    case ext::renegotiation_info:
      w.u8(0);
      break;
    default:
      if (is_grease(type)) {
        // The last GREASE extension carries one byte (as Chrome sends it), or the ticket
        // bytes for profiles without a session_ticket extension.
        if (state.first_grease_written) {
          const bool has_ticket_ext = std::find(p.extensions.begin(), p.extensions.end(),
                                                ext::session_ticket) != p.extensions.end();
          if (!has_ticket_ext && !state.spec.ticket.empty()) {
            w.bytes(state.spec.ticket);
          } else {
            w.u8(0);
          }
        }
        state.first_grease_written = true;
      }
      break;  // empty: extended_master_secret, encrypt_then_mac, post_handshake_auth, SCT
  }
}

}  // namespace

bool is_grease(std::uint16_t value) { return decode::tls::is_grease(value); }

std::string_view profile_name(TlsProfile profile) { return def(profile).name; }

bool profile_offers_tls13(TlsProfile profile) {
  const auto& versions = def(profile).versions;
  return std::find(versions.begin(), versions.end(), 0x0304) != versions.end();
}

TlsFingerprint fingerprint(const HelloParameters& hello) {
  // The decoder's JA3/JA4 implementation, fed with the lists this ClientHello was built from
  // (GREASE removed, as the decoder reports them), so ruleset values and truth fingerprints
  // are exactly what the sieve will compute from the wire.
  const auto no_grease = [](const std::vector<std::uint16_t>& values) {
    std::vector<std::uint16_t> out;
    for (const auto v : values) {
      if (!is_grease(v)) out.push_back(v);
    }
    return out;
  };
  decode::tls::HelloFields fields;
  fields.legacy_version = hello.legacy_version;
  fields.ciphers = no_grease(hello.ciphers);
  fields.extensions = no_grease(hello.extensions);
  fields.groups = no_grease(hello.groups);
  fields.point_formats = hello.point_formats;
  fields.sig_algs = no_grease(hello.signature_algorithms);
  fields.versions = no_grease(hello.versions);
  fields.has_sni = hello.has_sni;
  fields.first_alpn = std::span(reinterpret_cast<const std::uint8_t*>(hello.first_alpn.data()),
                                hello.first_alpn.size());
  TlsFingerprint out;
  out.ja3 = decode::tls::ja3_string(fields);
  out.ja3_hash = decode::tls::md5_hex(out.ja3);
  out.ja4 = decode::tls::ja4_fingerprint(fields);
  return out;
}

namespace {

// The lists one ClientHello offers: the profile's, with fresh GREASE values (RFC 8701: a
// client picks them per connection) and, for shuffling profiles, a fresh extension order.
HelloParameters hello_parameters(const ProfileDef& p, const ClientHelloSpec& spec, Rng& rng,
                                 std::uint16_t& group_grease) {
  HelloParameters params;
  params.legacy_version = 0x0303;
  params.point_formats = p.point_formats;
  params.signature_algorithms = p.signature_algorithms;
  params.has_sni = !spec.sni.empty();
  params.first_alpn = p.alpn.empty() ? std::string() : std::string(p.alpn.front());
  const std::uint16_t cipher_grease = random_grease(rng);
  group_grease = random_grease(rng);
  const std::uint16_t version_grease = random_grease(rng);
  const std::uint16_t first_ext_grease = random_grease(rng);
  std::uint16_t last_ext_grease = random_grease(rng);
  if (last_ext_grease == first_ext_grease) last_ext_grease ^= 0x1010;
  for (const auto c : p.ciphers) params.ciphers.push_back(c == kGrease ? cipher_grease : c);
  for (const auto g : p.groups) params.groups.push_back(g == kGrease ? group_grease : g);
  for (const auto v : p.versions) params.versions.push_back(v == kGrease ? version_grease : v);
  bool first = true;
  for (const auto e : p.extensions) {
    if (e == ext::server_name && spec.sni.empty()) continue;
    if (e == kGrease) {
      params.extensions.push_back(first ? first_ext_grease : last_ext_grease);
      first = false;
    } else {
      params.extensions.push_back(e);
    }
  }
  if (p.shuffle && !spec.fixed_order && params.extensions.size() > 3) {
    // Chrome permutes everything but the leading and trailing GREASE extensions.
    for (std::size_t i = params.extensions.size() - 2; i > 1; --i) {
      const std::size_t j = 1 + rng.below(i);
      std::swap(params.extensions[i], params.extensions[j]);
    }
  }
  return params;
}

}  // namespace

TlsFingerprint write_client_hello(std::vector<std::uint8_t>& out, const ClientHelloSpec& spec,
                                  Rng& rng) {
  const ProfileDef& p = def(spec.profile);
  std::uint16_t group_grease = 0;
  const HelloParameters params = hello_parameters(p, spec, rng, group_grease);
  ByteWriter w(out);
  w.u8(0x16);
  w.u16(0x0301);
  const auto record = w.reserve_u16();
  w.u8(0x01);
  const auto handshake = w.reserve_u24();
  const std::size_t body_start = w.size();
  w.u16(params.legacy_version);
  rng.fill(w.grow(32));
  if (p.session_id) {
    w.u8(32);
    rng.fill(w.grow(32));
  } else {
    w.u8(0);
  }
  w.u16(static_cast<std::uint16_t>(params.ciphers.size() * 2));
  for (const auto c : params.ciphers) w.u16(c);
  w.u8(1);
  w.u8(0);  // null compression
  const auto extensions = w.reserve_u16();
  HelloState state{p, spec, params, rng, group_grease};
  for (const auto e : params.extensions) {
    if (e == ext::padding) {
      // OpenSSL pads hellos whose handshake body would be 256..511 bytes up to 512.
      const std::size_t so_far = w.size() - body_start + 4 + 4;
      std::size_t pad = 0;
      if (p.pad_to_512 && so_far > 255 && so_far < 512) pad = 512 - so_far;
      w.u16(e);
      w.u16(static_cast<std::uint16_t>(pad));
      w.zeros(pad);
      continue;
    }
    w.u16(e);
    const auto length = w.reserve_u16();
    write_extension_body(w, e, state);
    w.patch_length(length, 2);
  }
  w.patch_length(extensions, 2);
  w.patch_length(handshake, 3);
  w.patch_length(record, 2);
  return fingerprint(params);
}

void write_server_hello(std::vector<std::uint8_t>& out, TlsProfile client, Rng& rng) {
  const bool tls13 = profile_offers_tls13(client);
  const ProfileDef& p = def(client);
  ByteWriter w(out);
  w.u8(0x16);
  w.u16(0x0303);
  const auto record = w.reserve_u16();
  w.u8(0x02);
  const auto handshake = w.reserve_u24();
  w.u16(0x0303);
  rng.fill(w.grow(32));
  w.u8(32);
  rng.fill(w.grow(32));
  std::uint16_t cipher = 0xc02f;
  for (const auto c : p.ciphers) {
    if (c != kGrease && ((c >> 8) == 0x13) == tls13) {
      cipher = c;
      break;
    }
  }
  w.u16(cipher);
  w.u8(0);
  const auto extensions = w.reserve_u16();
  if (tls13) {
    w.u16(ext::supported_versions);
    w.u16(2);
    w.u16(0x0304);
    w.u16(ext::key_share);
    w.u16(36);
    w.u16(0x001d);
    w.u16(32);
    rng.fill(w.grow(32));
  } else {
    w.u16(ext::renegotiation_info);
    w.u16(1);
    w.u8(0);
    w.u16(0x0017);  // extended_master_secret
    w.u16(0);
    if (!p.alpn.empty()) {
      w.u16(ext::alpn);
      const auto length = w.reserve_u16();
      const auto list = w.reserve_u16();
      w.u8(static_cast<std::uint8_t>(p.alpn.front().size()));
      w.text(p.alpn.front());
      w.patch_length(list, 2);
      w.patch_length(length, 2);
    }
  }
  w.patch_length(extensions, 2);
  w.patch_length(handshake, 3);
  w.patch_length(record, 2);
  write_change_cipher_spec(out);
}

void write_change_cipher_spec(std::vector<std::uint8_t>& out) {
  ByteWriter w(out);
  w.u8(0x14);
  w.u16(0x0303);
  w.u16(1);
  w.u8(1);
}

}  // namespace mamori::synth
