#pragma once
// tests/synth/test_support: a minimal, independent pcap reader and frame parser for checking
// synth output, a temporary directory, and running tshark.

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mamori/core/ip.h"
#include "support/temp_dir.h"

namespace mamori::synth::testing {

struct PcapRecord {
  std::uint32_t seconds = 0;
  std::uint32_t micros = 0;
  std::vector<std::uint8_t> data;
};

struct PcapFile {
  std::uint32_t magic = 0;
  std::uint32_t link_type = 0;
  std::vector<PcapRecord> records;
};

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}
inline std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

inline std::optional<PcapFile> read_pcap(const std::filesystem::path& path) {
  const auto bytes = read_bytes(path);
  if (bytes.size() < 24) return std::nullopt;
  PcapFile file;
  file.magic = le32(bytes.data());
  file.link_type = le32(bytes.data() + 20);
  std::size_t at = 24;
  while (at + 16 <= bytes.size()) {
    PcapRecord record;
    record.seconds = le32(bytes.data() + at);
    record.micros = le32(bytes.data() + at + 4);
    const std::uint32_t captured = le32(bytes.data() + at + 8);
    at += 16;
    if (at + captured > bytes.size()) return std::nullopt;
    record.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                       bytes.begin() + static_cast<std::ptrdiff_t>(at + captured));
    at += captured;
    file.records.push_back(std::move(record));
  }
  if (at != bytes.size()) return std::nullopt;
  return file;
}

struct ParsedFrame {
  bool ok = false;
  std::uint16_t vlan = 0;
  int version = 0;
  IpAddress src;
  IpAddress dst;
  std::uint8_t protocol = 0;
  std::uint16_t src_port = 0;  // ICMP echo: the identifier in both
  std::uint16_t dst_port = 0;
  std::uint8_t tcp_flags = 0;
  std::span<const std::uint8_t> ip;       // IP header + payload (without Ethernet padding)
  std::span<const std::uint8_t> l4;       // transport header + payload
  std::span<const std::uint8_t> payload;  // transport payload
};

inline ParsedFrame parse_frame(std::span<const std::uint8_t> frame) {
  ParsedFrame out;
  if (frame.size() < 14) return out;
  std::size_t at = 12;
  std::uint16_t type = be16(frame.data() + at);
  if (type == 0x8100) {
    out.vlan = be16(frame.data() + 14) & 0x0fff;
    at += 4;
    type = be16(frame.data() + at);
  }
  at += 2;
  std::size_t l4 = 0;
  std::size_t ip_end = 0;
  if (type == 0x0800 && frame.size() >= at + 20) {
    out.version = 4;
    const std::size_t ihl = (frame[at] & 0x0f) * 4u;
    ip_end = at + be16(frame.data() + at + 2);
    out.protocol = frame[at + 9];
    out.src = IpAddress::v4_bytes(std::span<const std::uint8_t, 4>(frame.data() + at + 12, 4));
    out.dst = IpAddress::v4_bytes(std::span<const std::uint8_t, 4>(frame.data() + at + 16, 4));
    l4 = at + ihl;
  } else if (type == 0x86dd && frame.size() >= at + 40) {
    out.version = 6;
    ip_end = at + 40 + be16(frame.data() + at + 4);
    out.protocol = frame[at + 6];
    out.src = IpAddress::v6(std::span<const std::uint8_t, 16>(frame.data() + at + 8, 16));
    out.dst = IpAddress::v6(std::span<const std::uint8_t, 16>(frame.data() + at + 24, 16));
    l4 = at + 40;
  } else {
    return out;
  }
  if (ip_end > frame.size() || l4 > ip_end) return out;
  out.ip = frame.subspan(at, ip_end - at);
  out.l4 = frame.subspan(l4, ip_end - l4);
  std::size_t header = 0;
  if (out.protocol == 6 && out.l4.size() >= 20) {
    header = (out.l4[12] >> 4) * 4u;
    out.tcp_flags = out.l4[13];
  } else if (out.protocol == 17 && out.l4.size() >= 8) {
    header = 8;
  } else if ((out.protocol == 1 || out.protocol == 58) && out.l4.size() >= 8) {
    header = 8;
    out.src_port = out.dst_port = be16(out.l4.data() + 4);
  } else {
    return out;
  }
  if (out.protocol == 6 || out.protocol == 17) {
    out.src_port = be16(out.l4.data());
    out.dst_port = be16(out.l4.data() + 2);
  }
  if (header > out.l4.size()) return out;
  out.payload = out.l4.subspan(header);
  out.ok = true;
  return out;
}

// A fresh directory under the system temp dir (support/temp_dir.h), named
// mamori-synth-test-<name>-*.
struct TempDir : mamori::test_support::TempDir {
  explicit TempDir(const std::string& name)
      : mamori::test_support::TempDir("mamori-synth-test-" + name) {}
};

// Output of a shell command, or nullopt when it could not run or failed.
inline std::optional<std::string> run_command(const std::string& command) {
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string out;
  std::array<char, 65536> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  if (status != 0) return std::nullopt;
  return out;
}

inline bool have_tshark() {
  return run_command("command -v tshark >/dev/null 2>&1 && echo yes").value_or("") == "yes\n";
}

}  // namespace mamori::synth::testing
