#pragma once
// capture/pcap_writer: writes classic pcap files (microsecond or nanosecond timestamps).
// Used by synth to make deterministic captures; the sieve never writes packets anywhere.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include "mamori/capture/link_type.h"
#include "mamori/core/error.h"
#include "mamori/core/time.h"

namespace mamori::capture {

enum class TimestampPrecision { micro, nano };

class PcapWriter {
 public:
  static Result<PcapWriter> create(const std::string& path, LinkType link_type,
                                   TimestampPrecision precision = TimestampPrecision::micro,
                                   std::uint32_t snaplen = 262144);
  Result<void> write(Timestamp timestamp, std::span<const std::uint8_t> frame,
                     std::uint32_t wire_length = 0 /* 0: frame.size() */);
  // Flushes and closes; errors on close are reported here rather than lost.
  Result<void> close();

  std::uint64_t packets_written() const { return packets_; }
  std::uint64_t bytes_written() const { return bytes_; }

 private:
  struct FileCloser {
    void operator()(std::FILE* file) const {
      if (file) std::fclose(file);
    }
  };
  PcapWriter(std::FILE* file, std::string path, TimestampPrecision precision, std::uint32_t snaplen)
      : file_(file), path_(std::move(path)), precision_(precision), snaplen_(snaplen) {}

  std::unique_ptr<std::FILE, FileCloser> file_;
  std::string path_;
  TimestampPrecision precision_;
  std::uint32_t snaplen_;
  std::uint64_t packets_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace mamori::capture
