// Read throughput of mamori's capture file reader against libpcap's pcap_next_ex on the
// same file: ~200 MB of IMIX-like Ethernet frames (64/576/1500 bytes, 7:4:1) written with
// PcapWriter (and the same packets as pcapng) to the temp directory once per run, removed
// at exit. Both loops touch the
// first bytes of every packet, as a decoder would, so neither wins by not reading.
// Set MAMORI_CAPTURE_BENCH_MB to change the size.

#include <benchmark/benchmark.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "mamori/capture/capture_file.h"
#include "mamori/capture/pcap_writer.h"

namespace {

using namespace mamori;
using namespace mamori::capture;

// Appends pcapng blocks (little-endian) for the same packets, so both formats are timed.
class PcapngBenchWriter {
 public:
  explicit PcapngBenchWriter(const std::string& path) : file_(std::fopen(path.c_str(), "wb")) {
    if (!file_) std::exit(1);
    const std::uint32_t shb[7] = {0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0xffffffff, 0xffffffff, 28};
    std::fwrite(shb, 1, sizeof shb, file_);  // version 1.0 packs into the 4th word
    // IDB: Ethernet, snaplen 0, if_tsresol 9 (nanoseconds), opt_endofopt.
    const std::uint32_t idb[8] = {1, 32, 1, 0, 0x00010009, 9, 0, 32};
    std::fwrite(idb, 1, sizeof idb, file_);
  }
  PcapngBenchWriter(const PcapngBenchWriter&) = delete;
  PcapngBenchWriter& operator=(const PcapngBenchWriter&) = delete;
  ~PcapngBenchWriter() {
    if (std::fclose(file_) != 0) std::exit(1);
  }
  void write(std::int64_t nanos, std::span<const std::uint8_t> frame) {
    const auto size = static_cast<std::uint32_t>(frame.size());
    const std::uint32_t padded = (size + 3) & ~3u;
    const std::uint32_t total = 32 + padded;
    const auto units = static_cast<std::uint64_t>(nanos);
    const std::uint32_t header[7] = {
        6,    total, 0, static_cast<std::uint32_t>(units >> 32), static_cast<std::uint32_t>(units),
        size, size};
    const std::uint8_t zeros[4] = {};
    std::fwrite(header, 1, sizeof header, file_);
    std::fwrite(frame.data(), 1, size, file_);
    std::fwrite(zeros, 1, padded - size, file_);
    std::fwrite(&total, 1, 4, file_);
  }

 private:
  std::FILE* file_;
};

// The same packets as classic pcap (via PcapWriter, nanoseconds) and as pcapng.
class BenchFiles {
 public:
  BenchFiles() {
    const std::string stem = (std::filesystem::temp_directory_path() /
                              ("mamori-capture-bench-" + std::to_string(::getpid())))
                                 .string();
    pcap_ = stem + ".pcap";
    pcapng_ = stem + ".pcapng";
    const char* mb = std::getenv("MAMORI_CAPTURE_BENCH_MB");
    const std::uint64_t target = (mb ? std::strtoull(mb, nullptr, 10) : 200) << 20;
    auto writer = PcapWriter::create(pcap_, LinkType::ethernet, TimestampPrecision::nano);
    if (!writer) {
      std::fprintf(stderr, "%s\n", writer.error().message.c_str());
      std::exit(1);
    }
    PcapngBenchWriter ng_writer(pcapng_);
    std::mt19937 random(1);
    std::vector<std::uint8_t> frame(1500);
    for (auto& byte : frame) byte = static_cast<std::uint8_t>(random());
    std::int64_t nanos = 1'795'000'000'000'000'000;
    static constexpr std::size_t kSizes[12] = {64, 64,  64,  64,  64,  64,
                                               64, 576, 576, 576, 576, 1500};
    while (writer->bytes_written() + 16 * writer->packets_written() < target) {
      const auto packet = std::span(frame).first(kSizes[random() % 12]);
      nanos += 1 + random() % 100'000;
      if (!writer->write(Timestamp{nanos}, packet)) std::exit(1);
      ng_writer.write(nanos, packet);
    }
    packets_ = writer->packets_written();
    if (!writer->close()) std::exit(1);
  }
  BenchFiles(const BenchFiles&) = delete;
  BenchFiles& operator=(const BenchFiles&) = delete;
  ~BenchFiles() {
    std::remove(pcap_.c_str());
    std::remove(pcapng_.c_str());
  }

  const std::string& path(int format) const { return format == 0 ? pcap_ : pcapng_; }
  std::uint64_t packets() const { return packets_; }

 private:
  std::string pcap_, pcapng_;
  std::uint64_t packets_ = 0;
};

const BenchFiles& bench_files() {
  static const BenchFiles files;
  return files;
}

// What a decoder would at least read: the first 8 bytes (or fewer).
inline std::uint64_t touch(const std::uint8_t* data, std::size_t size) {
  std::uint64_t sum = size;
  for (std::size_t i = 0; i < size && i < 8; ++i) sum += data[i];
  return sum;
}

void set_counters(benchmark::State& state, std::uint64_t packets) {
  const BenchFiles& files = bench_files();
  if (packets != files.packets()) state.SkipWithError("packet count differs from what was written");
  const auto bytes = std::filesystem::file_size(files.path(static_cast<int>(state.range(0))));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * packets));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["ns_per_packet"] =
      benchmark::Counter(static_cast<double>(state.iterations() * packets),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_MamoriReader(benchmark::State& state) {
  const std::string& path = bench_files().path(static_cast<int>(state.range(0)));
  std::uint64_t packets = 0;
  for (auto _ : state) {
    auto source = open_capture_file(path);
    if (!source) {
      state.SkipWithError(source.error().message.c_str());
      return;
    }
    RawPacket packet;
    std::uint64_t sum = 0;
    packets = 0;
    while ((*source)->next(packet) == NextStatus::packet) {
      sum += touch(packet.data.data(), packet.data.size());
      ++packets;
    }
    benchmark::DoNotOptimize(sum);
  }
  set_counters(state, packets);
}
// Argument 0: classic pcap, 1: pcapng.
BENCHMARK(BM_MamoriReader)->ArgName("pcapng")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_LibpcapNextEx(benchmark::State& state) {
  const std::string& path = bench_files().path(static_cast<int>(state.range(0)));
  std::uint64_t packets = 0;
  for (auto _ : state) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* handle =
        pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (handle == nullptr) {
      state.SkipWithError(errbuf);
      return;
    }
    pcap_pkthdr* header;
    const u_char* data;
    std::uint64_t sum = 0;
    packets = 0;
    while (pcap_next_ex(handle, &header, &data) == 1) {
      sum += touch(data, header->caplen);
      ++packets;
    }
    pcap_close(handle);
    benchmark::DoNotOptimize(sum);
  }
  set_counters(state, packets);
}
BENCHMARK(BM_LibpcapNextEx)->ArgName("pcapng")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
