// Agreement with tshark: genuine dig/responder traffic on loopback (tests/data/decode/dns/,
// see its README for provenance) is decoded by decode_packet and the DNS parsers, and every
// field is compared with what tshark 4.0 printed for the same frame (golden TSV files made by
// make_dns_pcap.sh, so tshark is not needed at test time).

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/decode/app.h"
#include "mamori/decode/packet.h"

namespace mamori::decode {
namespace {

const std::string kDataDir = std::string(MAMORI_SOURCE_DIR) + "/tests/data/decode/dns/";

std::vector<std::string> split(std::string_view line, char separator) {
  std::vector<std::string> fields;
  for (;;) {
    const auto at = line.find(separator);
    fields.emplace_back(line.substr(0, at));
    if (at == std::string_view::npos) return fields;
    line.remove_prefix(at + 1);
  }
}

// frame number → tab-separated fields (the first field is the frame number itself).
std::map<int, std::vector<std::string>> read_golden(const std::string& path) {
  std::map<int, std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto fields = split(line, '\t');
    rows[std::stoi(fields[0])] = std::move(fields);
  }
  return rows;
}

std::vector<std::vector<std::uint8_t>> read_frames(const std::string& path, int& link_type) {
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle = pcap_open_offline(path.c_str(), error);
  std::vector<std::vector<std::uint8_t>> frames;
  if (handle == nullptr) {
    ADD_FAILURE() << path << ": " << error;
    return frames;
  }
  link_type = pcap_datalink(handle);
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(handle, &header, &data) == 1) {
    frames.emplace_back(data, data + header->caplen);
  }
  pcap_close(handle);
  return frames;
}

unsigned long number(const std::string& text, int base = 10) {
  std::string_view digits = text;
  if (base == 16 && digits.starts_with("0x")) digits.remove_prefix(2);
  unsigned long value = 0;
  const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  EXPECT_EQ(result.ec, std::errc{}) << "not a number: '" << text << "'";
  return value;
}

// tshark prints label bytes as they are; the parser's presentation is lower-case with dig's
// \DDD escapes for anything outside '!'..'~' (and '\' / '.' inside labels, absent here).
std::string dig_presentation(std::string_view tshark_name) {
  std::string out;
  for (unsigned char c : tshark_name) {
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (c > 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buffer[5];
      std::snprintf(buffer, sizeof buffer, "\\%03u", c);
      out += buffer;
    }
  }
  return out;
}

struct Fixture {
  const char* file;
  capture::LinkType link_type;
};

void PrintTo(const Fixture& fixture, std::ostream* os) { *os << fixture.file; }

class TsharkAgreement : public ::testing::TestWithParam<Fixture> {};

TEST_P(TsharkAgreement, PacketFields) {
  const Fixture& fixture = GetParam();
  const std::string stem = std::string(fixture.file).substr(0, std::string(fixture.file).find('.'));
  int link = -1;
  const auto frames = read_frames(kDataDir + fixture.file, link);
  ASSERT_EQ(link, static_cast<int>(fixture.link_type));
  const auto golden = read_golden(kDataDir + stem + ".frames.tsv");
  ASSERT_EQ(frames.size(), golden.size());
  ASSERT_GE(frames.size(), 40u);

  int tcp = 0, udp = 0, icmp = 0, v6 = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i + 1));
    const auto& row = golden.at(static_cast<int>(i + 1));
    ASSERT_EQ(row.size(), 19u);
    DecodedPacket out;
    ASSERT_EQ(decode_packet(fixture.link_type, frames[i], out), DecodeStatus::ok);
    if (!row[1].empty()) {
      EXPECT_EQ(out.ip_version, 4);
      EXPECT_EQ(out.src.to_string(), row[1]);
      EXPECT_EQ(out.dst.to_string(), row[2]);
      EXPECT_EQ(out.protocol, number(row[5]));
    } else {
      ++v6;
      EXPECT_EQ(out.ip_version, 6);
      EXPECT_EQ(out.src.to_string(), row[3]);
      EXPECT_EQ(out.dst.to_string(), row[4]);
      EXPECT_EQ(out.protocol, number(row[6]));
    }
    ASSERT_TRUE(out.has_transport);
    if (!row[7].empty()) {
      ++tcp;
      EXPECT_EQ(out.src_port, number(row[7]));
      EXPECT_EQ(out.dst_port, number(row[8]));
      EXPECT_EQ(out.tcp_flags, number(row[9], 16) & 0xff);
      EXPECT_EQ(out.tcp_sequence, number(row[10]));
      EXPECT_EQ(out.payload.size(), number(row[11]));
    } else if (!row[12].empty()) {
      ++udp;
      EXPECT_EQ(out.src_port, number(row[12]));
      EXPECT_EQ(out.dst_port, number(row[13]));
      EXPECT_EQ(out.payload.size(), number(row[14]) - 8);
    } else {
      ++icmp;
      const bool is_v4 = !row[15].empty();
      EXPECT_EQ(out.src_port, number(row[is_v4 ? 15 : 17]));
      EXPECT_EQ(out.dst_port, number(row[is_v4 ? 16 : 18]));
    }
  }
  // The fixture exercises every path it is meant to.
  EXPECT_GT(tcp, 20);
  EXPECT_GT(udp, 15);
  EXPECT_EQ(icmp, 4);
  EXPECT_GT(v6, 8);
}

TEST_P(TsharkAgreement, DnsMessages) {
  const Fixture& fixture = GetParam();
  const std::string stem = std::string(fixture.file).substr(0, std::string(fixture.file).find('.'));
  int link = -1;
  const auto frames = read_frames(kDataDir + fixture.file, link);
  const auto golden = read_golden(kDataDir + stem + ".dns.tsv");
  ASSERT_GE(golden.size(), 20u);

  std::size_t parsed = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const int frame_number = static_cast<int>(i + 1);
    SCOPED_TRACE("frame " + std::to_string(frame_number));
    DecodedPacket packet;
    ASSERT_EQ(decode_packet(fixture.link_type, frames[i], packet), DecodeStatus::ok);
    const bool dns_port = packet.src_port == 53 || packet.dst_port == 53;
    const bool is_udp = packet.protocol == ip_protocol::udp;
    if (!dns_port || packet.payload.empty() || (!is_udp && packet.protocol != ip_protocol::tcp)) {
      EXPECT_FALSE(golden.contains(frame_number));
      continue;
    }
    DnsMessage message;
    ASSERT_TRUE(is_udp ? parse_dns(packet.payload, message)
                       : parse_dns_tcp(packet.payload, message));
    ASSERT_TRUE(golden.contains(frame_number));
    const auto& row = golden.at(frame_number);
    ASSERT_EQ(row.size(), 8u);
    ++parsed;
    EXPECT_EQ(message.id, number(row[1], 16));
    EXPECT_EQ(message.is_response, row[2] == "1");
    if (message.is_response) {
      EXPECT_EQ(message.rcode, number(row[3]));
    }
    const auto names = split(row[4], ',');
    const auto types = split(row[5], ',');
    ASSERT_EQ(message.questions.size(), names.size());
    for (std::size_t q = 0; q < names.size(); ++q) {
      EXPECT_EQ(message.questions[q].name, dig_presentation(names[q]));
      EXPECT_EQ(message.questions[q].type, number(types[q]));
    }
    std::vector<std::string> v4_answers, v6_answers;
    for (const IpAddress& answer : message.answers) {
      (answer.is_v4() ? v4_answers : v6_answers).push_back(answer.to_string());
    }
    EXPECT_EQ(v4_answers, row[6].empty() ? std::vector<std::string>{} : split(row[6], ','));
    EXPECT_EQ(v6_answers, row[7].empty() ? std::vector<std::string>{} : split(row[7], ','));
  }
  EXPECT_EQ(parsed, golden.size());
}

INSTANTIATE_TEST_SUITE_P(Loopback, TsharkAgreement,
                         ::testing::Values(Fixture{"dns.pcap", capture::LinkType::ethernet},
                                           Fixture{"dns_sll.pcap", capture::LinkType::linux_sll},
                                           Fixture{"dns_sll2.pcap", capture::LinkType::linux_sll2}),
                         [](const auto& info) {
                           return std::string(
                               info.param.link_type == capture::LinkType::ethernet    ? "Ethernet"
                               : info.param.link_type == capture::LinkType::linux_sll ? "Sll"
                                                                                      : "Sll2");
                         });

}  // namespace
}  // namespace mamori::decode
