#pragma once
// Test helper for the TLS/HTTP agreement tests: reads the loopback captures in
// tests/data/decode/tls_http/ with libpcap and finds each frame's TCP payload with a fixed
// Ethernet → IPv4/IPv6 → TCP walk (kept apart from decode_packet on purpose, so these tests
// check only the application parsers), and reads tshark's golden TSV files.

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::decode::test {

inline const std::string kTlsHttpDataDir =
    std::string(MAMORI_SOURCE_DIR) + "/tests/data/decode/tls_http/";

struct TcpFrame {
  int number = 0;  // 1-based, as tshark counts
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::vector<std::uint8_t> payload;
};

// Frames of an Ethernet pcap that carry TCP over IPv4 or IPv6 (no extension headers: loopback
// traffic has none).
inline std::vector<TcpFrame> read_tcp_frames(const std::string& path) {
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle = pcap_open_offline(path.c_str(), error);
  std::vector<TcpFrame> frames;
  if (handle == nullptr) {
    ADD_FAILURE() << path << ": " << error;
    return frames;
  }
  EXPECT_EQ(pcap_datalink(handle), DLT_EN10MB) << path;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int number = 0;
  while (pcap_next_ex(handle, &header, &data) == 1) {
    ++number;
    const std::span<const std::uint8_t> frame(data, header->caplen);
    if (frame.size() < 14) continue;
    const unsigned ether_type = (frame[12] << 8) | frame[13];
    std::size_t ip = 14;
    std::size_t tcp = 0;
    std::size_t end = 0;
    if (ether_type == 0x0800 && frame.size() >= ip + 20 && frame[ip + 9] == 6) {
      tcp = ip + (frame[ip] & 0x0f) * 4u;
      end = ip + ((frame[ip + 2] << 8) | frame[ip + 3]);
    } else if (ether_type == 0x86dd && frame.size() >= ip + 40 && frame[ip + 6] == 6) {
      tcp = ip + 40;
      end = tcp + ((frame[ip + 4] << 8) | frame[ip + 5]);
    } else {
      continue;
    }
    if (end > frame.size() || tcp + 20 > end) {
      ADD_FAILURE() << path << ": frame " << number << " is cut short";
      continue;
    }
    const std::size_t payload = tcp + (frame[tcp + 12] >> 4) * 4u;
    if (payload > end) continue;
    TcpFrame out;
    out.number = number;
    out.src_port = static_cast<std::uint16_t>((frame[tcp] << 8) | frame[tcp + 1]);
    out.dst_port = static_cast<std::uint16_t>((frame[tcp + 2] << 8) | frame[tcp + 3]);
    out.payload.assign(frame.begin() + static_cast<std::ptrdiff_t>(payload),
                       frame.begin() + static_cast<std::ptrdiff_t>(end));
    frames.push_back(std::move(out));
  }
  pcap_close(handle);
  return frames;
}

inline std::vector<std::string> split_fields(std::string_view line, char separator) {
  std::vector<std::string> fields;
  for (;;) {
    const auto at = line.find(separator);
    fields.emplace_back(line.substr(0, at));
    if (at == std::string_view::npos) return fields;
    line.remove_prefix(at + 1);
  }
}

// frame number → the row's fields after the frame number, padded to `columns`.
inline std::map<int, std::vector<std::string>> read_tshark_rows(const std::string& path,
                                                                std::size_t columns) {
  std::map<int, std::vector<std::string>> rows;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto fields = split_fields(line, '\t');
    const int number = std::stoi(fields[0]);
    fields.erase(fields.begin());
    fields.resize(columns);
    rows[number] = std::move(fields);
  }
  return rows;
}

inline std::string ascii_lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

}  // namespace mamori::decode::test
