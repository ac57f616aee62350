#pragma once
// bench/sieve_corpus: what the end-to-end sieve benchmarks share — a synthetic capture held in
// memory (so disk is out of the measurement), the classifier of `mamori sieve`'s defaults, a
// counting sink, and a paired off/on timing loop for comparing two configurations in one run
// on a shared, noisy machine.

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/capture/capture_file.h"
#include "mamori/core/error.h"
#include "mamori/scope/classifier.h"
#include "mamori/scope/country_table.h"
#include "mamori/sieve/sieve.h"
#include "mamori/synth/synth.h"

#ifndef MAMORI_SOURCE_DIR
#error "bench/CMakeLists.txt defines MAMORI_SOURCE_DIR (the country table lives in data/)"
#endif

namespace mamori::bench {

template <typename T>
T must(Result<T> result, std::string_view what) {
  if (!result) {
    std::fprintf(stderr, "bench: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 result.error().message.c_str());
    std::exit(1);
  }
  return std::move(*result);
}

// MAMORI_BENCH_CAPTURE_MB overrides: small synthetic captures are attack-heavy (records every
// ~13 packets), large ones closer to a real link's selection rate.
inline std::uint64_t capture_mib(std::uint64_t fallback) {
  const char* text = std::getenv("MAMORI_BENCH_CAPTURE_MB");
  if (text == nullptr || *text == '\0') return fallback;
  return std::max<std::uint64_t>(1, std::strtoull(text, nullptr, 10));
}

class CountingSink final : public sieve::RecordSink {
 public:
  void emit(sieve::Record&& record) override {
    ++records;
    if (keep) kept.push_back(std::move(record));
  }
  std::uint64_t records = 0;
  bool keep = false;
  std::vector<sieve::Record> kept;
};

// Packets in memory; RawPacket::data points into `bytes`.
struct Packets {
  std::vector<std::uint8_t> bytes;
  std::vector<capture::RawPacket> packets;
  std::uint64_t data_bytes = 0;
};

inline void read_packets(const std::string& pcap, Packets& out) {
  auto source = must(capture::open_capture_file(pcap), "open capture");
  struct Slice {
    Timestamp time;
    std::uint32_t wire_length;
    capture::LinkType link_type;
    std::size_t offset;
    std::size_t length;
  };
  std::vector<Slice> slices;
  capture::RawPacket packet;
  capture::NextStatus status;
  while ((status = source->next(packet)) == capture::NextStatus::packet) {
    slices.push_back({packet.timestamp, packet.wire_length, packet.link_type, out.bytes.size(),
                      packet.data.size()});
    out.bytes.insert(out.bytes.end(), packet.data.begin(), packet.data.end());
  }
  if (status == capture::NextStatus::error) {
    std::fprintf(stderr, "bench: %s\n", source->error().message.c_str());
    std::exit(1);
  }
  out.packets.reserve(out.packets.size() + slices.size());
  for (const Slice& slice : slices) {
    out.packets.push_back({.timestamp = slice.time,
                           .wire_length = slice.wire_length,
                           .link_type = slice.link_type,
                           .data = std::span(out.bytes.data() + slice.offset, slice.length),
                           // Held for the whole run, as a capture file's mapping is.
                           .stable = true});
    out.data_bytes += slice.length;
  }
}

// A temporary directory removed with the object.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/mamori-bench-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      std::perror("bench: mkdtemp");
      std::exit(1);
    }
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Synthesizes a capture into `dir` and reads it into `out`.
inline synth::SynthSummary synthesize_into(const TempDir& dir, std::uint64_t seed,
                                           std::uint64_t size_mb, bool bench_rules, Packets& out) {
  synth::SynthOptions options;
  options.out_path = (dir.path() / "bench.pcap").string();
  options.seed = seed;
  options.size_mb = size_mb;
  options.bench_rules = bench_rules;
  auto summary = must(synth::synthesize(options), "synthesize");
  read_packets(options.out_path, out);
  return summary;
}

// The classifier and sieve configuration `mamori sieve` runs with by default (FF, FD, DF).
struct Scope {
  std::unique_ptr<scope::Classifier> classifier;
  sieve::SieveConfig config;
};

inline Scope default_scope() {
  auto table = must(scope::CountryTable::load(MAMORI_SOURCE_DIR "/data/iptoasn-country.mmdb"),
                    "country table");
  scope::ClassifierOptions options;
  options.authorized.add(scope::Category::FF);
  options.authorized.add(scope::Category::FD);
  options.authorized.add(scope::Category::DF);
  Scope scope;
  scope.classifier = std::make_unique<scope::Classifier>(
      std::make_shared<const scope::CountryTable>(std::move(table)), scope::Overrides{}, options);
  scope.config.sensor = "bench";
  scope.config.categories = options.authorized;
  return scope;
}

inline void report_packets(benchmark::State& state, const Packets& packets, std::int64_t runs) {
  state.SetItemsProcessed(runs * static_cast<std::int64_t>(packets.packets.size()));
  state.SetBytesProcessed(runs * static_cast<std::int64_t>(packets.data_bytes));
  state.counters["packets"] = static_cast<double>(packets.packets.size());
}

// Seconds `run` takes.
inline double seconds_of(const std::function<void()>& run) {
  const auto start = std::chrono::steady_clock::now();
  run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs `off` and `on` back to back in every iteration, the order alternating, so load changes
// on the shared machine fall on both alike; each returns the seconds it measured itself (so
// that set-up can be left out, see seconds_of). Reports off_ms, on_ms and slowdown_pct. Use
// with ->UseManualTime(): the iteration time is the pair's.
inline void run_paired(benchmark::State& state, const std::function<double()>& off,
                       const std::function<double()>& on) {
  double off_seconds = 0;
  double on_seconds = 0;
  bool on_first = false;
  for (auto _ : state) {
    double seconds[2] = {0, 0};  // [off, on]
    for (int k = 0; k < 2; ++k) {
      const bool is_on = (k == 0) == on_first;
      seconds[is_on ? 1 : 0] = (is_on ? on : off)();
    }
    on_first = !on_first;
    off_seconds += seconds[0];
    on_seconds += seconds[1];
    state.SetIterationTime(seconds[0] + seconds[1]);
  }
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["off_ms"] = off_seconds * 1e3 / iterations;
  state.counters["on_ms"] = on_seconds * 1e3 / iterations;
  state.counters["slowdown_pct"] = off_seconds > 0 ? (on_seconds / off_seconds - 1) * 100 : 0;
}

}  // namespace mamori::bench
