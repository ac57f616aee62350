#pragma once
// synth/engine: runs scenarios and merges their flows into one time-ordered packet stream.
// A min-heap keyed by (next packet time, creation order) holds every live flow and every
// scenario's next start; one FrameBuilder buffer is reused for every packet. Each new flow
// is matched against the demo rules (reference matcher) and recorded in the truth.

#include <cstdint>
#include <memory>
#include <queue>
#include <span>
#include <vector>

#include "mamori/capture/pcap_writer.h"
#include "mamori/core/error.h"
#include "mamori/synth/frame.h"
#include "mamori/synth/scenario.h"
#include "mamori/synth/truth.h"

namespace mamori::synth {

class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual Result<void> write(Timestamp time, std::span<const std::uint8_t> frame) = 0;
};

// Counts what would be written (the dry run that measures the attack scenarios).
class CountingSink final : public PacketSink {
 public:
  Result<void> write(Timestamp, std::span<const std::uint8_t> frame) override {
    ++packets;
    bytes += frame.size() + 16;
    return {};
  }
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;  // as pcap records: frame + 16-byte record header
};

class PcapSink final : public PacketSink {
 public:
  explicit PcapSink(capture::PcapWriter& writer) : writer_(writer) {}
  Result<void> write(Timestamp time, std::span<const std::uint8_t> frame) override {
    return writer_.write(time, frame);
  }

 private:
  capture::PcapWriter& writer_;
};

// Sees every packet of the flows recorded in the truth (the detection profile's actors).
class PacketObserver {
 public:
  virtual ~PacketObserver() = default;
  virtual void on_packet(std::size_t truth_index, Timestamp time,
                         std::span<const std::uint8_t> frame) = 0;
};

class Engine final : public FlowSink {
 public:
  // `truth` may be null (dry run); `observer` may be null.
  Engine(const SynthContext& ctx, PacketSink& sink, Truth* truth,
         PacketObserver* observer = nullptr);

  void add_scenario(std::unique_ptr<Scenario> scenario);
  void add(std::unique_ptr<Flow> flow, FlowFacts facts) override;
  Result<void> run();

  std::uint64_t flows() const { return flows_; }
  std::uint64_t packets() const { return packets_; }
  Timestamp last_time() const { return last_; }

 private:
  struct Item {
    std::int64_t time;
    std::uint64_t order;
    std::uint32_t slot;
    bool scenario;
    bool operator>(const Item& other) const {
      return time != other.time ? time > other.time : order > other.order;
    }
  };
  struct Live {
    std::unique_ptr<Flow> flow;
    std::int64_t truth = -1;  // index in the truth, or -1 for benign
    std::size_t benign = 0;   // the truth's benign counter id
  };
  void push(std::int64_t time, std::uint32_t slot, bool scenario);

  const SynthContext& ctx_;
  PacketSink& sink_;
  Truth* truth_;
  PacketObserver* observer_;
  FrameBuilder builder_;
  std::vector<std::unique_ptr<Scenario>> scenarios_;
  std::vector<Live> live_;
  std::vector<std::uint32_t> free_;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> heap_;
  std::uint64_t order_ = 0;
  std::uint64_t flows_ = 0;
  std::uint64_t packets_ = 0;
  Timestamp last_{};
};

}  // namespace mamori::synth
