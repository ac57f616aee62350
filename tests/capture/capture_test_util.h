#pragma once
// tests/capture/capture_test_util: shared helpers for the capture tests: fixture paths, reading
// every packet with mamori's reader or with libpcap into comparable values, a temporary
// directory, and a small pcapng block builder for crafted (often corrupt) files.

#include <pcap/pcap.h>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mamori/capture/capture_file.h"
#include "mamori/capture/packet_source.h"
#include "support/temp_dir.h"

namespace mamori::capture::testing {

inline std::string fixture(const std::string& name) {
  return std::string(MAMORI_SOURCE_DIR) + "/tests/data/capture/" + name;
}

inline std::vector<std::uint8_t> load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void save_file(const std::string& path, std::span<const std::uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

struct Packet {
  std::int64_t timestamp = 0;
  std::uint32_t wire_length = 0;
  std::uint32_t link_type = 0;
  std::vector<std::uint8_t> data;
  bool operator==(const Packet&) const = default;
};

// Everything a reader produced: the packets, whether it ended cleanly, and its error text.
struct Reading {
  bool opened = false;
  std::vector<Packet> packets;
  bool failed = false;  // open failed or next() returned error
  std::string error;
  std::vector<std::uint64_t> ends;  // bytes_read() after each packet
};

inline Reading drain(PacketSource& source) {
  Reading reading;
  reading.opened = true;
  RawPacket raw;
  for (;;) {
    const NextStatus status = source.next(raw);
    if (status == NextStatus::packet) {
      reading.packets.push_back({raw.timestamp.nanos,
                                 raw.wire_length,
                                 static_cast<std::uint32_t>(raw.link_type),
                                 {raw.data.begin(), raw.data.end()}});
      reading.ends.push_back(source.bytes_read());
      continue;
    }
    if (status == NextStatus::error) {
      reading.failed = true;
      reading.error = source.error().message;
    }
    return reading;
  }
}

inline Reading read_mamori(const std::string& path) {
  auto source = open_capture_file(path);
  if (!source) return Reading{false, {}, true, source.error().message, {}};
  return drain(**source);
}

inline Reading read_buffer(std::span<const std::uint8_t> bytes, const std::string& name) {
  auto source = open_capture_buffer(bytes, name);
  if (!source) return Reading{false, {}, true, source.error().message, {}};
  return drain(**source);
}

// libpcap numbers link types by DLT_ value; only DLT_RAW differs from the LINKTYPE_ value.
inline std::uint32_t linktype_of_dlt(int dlt) {
  return dlt == DLT_RAW ? 101u : static_cast<std::uint32_t>(dlt);
}

inline Reading read_libpcap(const std::string& path) {
  Reading reading;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (handle == nullptr) {
    reading.failed = true;
    reading.error = errbuf;
    return reading;
  }
  reading.opened = true;
  const std::uint32_t link = linktype_of_dlt(pcap_datalink(handle));
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc;
  while ((rc = pcap_next_ex(handle, &header, &data)) == 1) {
    reading.packets.push_back({std::int64_t{header->ts.tv_sec} * 1'000'000'000 + header->ts.tv_usec,
                               header->len,
                               link,
                               {data, data + header->caplen}});
  }
  if (rc == PCAP_ERROR) {
    reading.failed = true;
    reading.error = pcap_geterr(handle);
  }
  pcap_close(handle);
  return reading;
}

// A fresh directory under the system temp dir (support/temp_dir.h), named mamori-capture-*.
struct TempDir : mamori::test_support::TempDir {
  TempDir() : mamori::test_support::TempDir("mamori-capture") {}
};

// Appends integers in a chosen byte order; blocks() frames pcapng blocks.
class Bytes {
 public:
  explicit Bytes(bool big_endian = false) : big_(big_endian) {}
  Bytes& u8(std::uint8_t v) {
    out_.push_back(v);
    return *this;
  }
  Bytes& u16(std::uint16_t v) {
    return put(big_ == (std::endian::native == std::endian::big) ? v : std::byteswap(v));
  }
  Bytes& u32(std::uint32_t v) {
    return put(big_ == (std::endian::native == std::endian::big) ? v : std::byteswap(v));
  }
  Bytes& u64(std::uint64_t v) {
    return put(big_ == (std::endian::native == std::endian::big) ? v : std::byteswap(v));
  }
  Bytes& raw(std::span<const std::uint8_t> bytes) {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  Bytes& pad4() {
    while (out_.size() % 4 != 0) out_.push_back(0);
    return *this;
  }
  Bytes& big_endian(bool big) {
    big_ = big;
    return *this;
  }
  bool is_big() const { return big_; }
  std::size_t size() const { return out_.size(); }
  std::vector<std::uint8_t>& vec() { return out_; }

 private:
  template <class T>
  Bytes& put(T v) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    out_.insert(out_.end(), p, p + sizeof v);
    return *this;
  }
  bool big_;
  std::vector<std::uint8_t> out_;
};

// Builds pcapng files block by block; each method returns the offset of the block it wrote.
class NgBuilder {
 public:
  std::size_t section(bool big_endian, std::uint16_t major = 1) {
    out_.big_endian(big_endian);
    Bytes body(big_endian);
    body.u32(0x1a2b3c4d).u16(major).u16(0).u64(~std::uint64_t{0});
    return block(0x0a0d0d0a, body.vec());
  }
  std::size_t interface(std::uint16_t link_type, std::uint32_t snaplen,
                        std::span<const std::uint8_t> options = {}) {
    Bytes body(out_.is_big());
    body.u16(link_type).u16(0).u32(snaplen).raw(options);
    return block(1, body.vec());
  }
  // One option, padded; end with end_of_options() for a well-formed list.
  Bytes option(std::uint16_t code, std::span<const std::uint8_t> value) const {
    Bytes o(out_.is_big());
    o.u16(code).u16(static_cast<std::uint16_t>(value.size())).raw(value).pad4();
    return o;
  }
  std::size_t epb(std::uint32_t interface, std::uint64_t units, std::span<const std::uint8_t> data,
                  std::uint32_t wire, std::uint32_t captured_override = ~0u) {
    Bytes body(out_.is_big());
    body.u32(interface)
        .u32(static_cast<std::uint32_t>(units >> 32))
        .u32(static_cast<std::uint32_t>(units));
    body.u32(captured_override != ~0u ? captured_override
                                      : static_cast<std::uint32_t>(data.size()));
    body.u32(wire).raw(data).pad4();
    return block(6, body.vec());
  }
  std::size_t spb(std::uint32_t wire, std::span<const std::uint8_t> data) {
    Bytes body(out_.is_big());
    body.u32(wire).raw(data).pad4();
    return block(3, body.vec());
  }
  std::size_t obsolete_pb(std::uint16_t interface, std::uint64_t units,
                          std::span<const std::uint8_t> data, std::uint32_t wire) {
    Bytes body(out_.is_big());
    body.u16(interface).u16(0).u32(static_cast<std::uint32_t>(units >> 32));
    body.u32(static_cast<std::uint32_t>(units)).u32(static_cast<std::uint32_t>(data.size()));
    body.u32(wire).raw(data).pad4();
    return block(2, body.vec());
  }
  // Any block; body is padded to 4 bytes and framed by the two total-length copies.
  std::size_t block(std::uint32_t type, std::span<const std::uint8_t> body) {
    const std::size_t offset = out_.size();
    const auto total = static_cast<std::uint32_t>(12 + (body.size() + 3) / 4 * 4);
    out_.u32(type).u32(total).raw(body).pad4().u32(total);
    return offset;
  }
  std::vector<std::uint8_t>& bytes() { return out_.vec(); }

 private:
  Bytes out_;
};

}  // namespace mamori::capture::testing
