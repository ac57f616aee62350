// The approval window bounds a sieve run (I4): when the wall clock reaches the approval's
// not_after, the loop stops selecting at that moment, keeps what was selected before it and
// reads nothing more.

#include "mamori/cli/sieve_loop.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "mamori/capture/capture_file.h"
#include "mamori/cli/sensor_setup.h"
#include "mamori/store/store.h"
#include "mamori/synth/synth.h"

namespace mamori::cli {
namespace {

namespace fs = std::filesystem;

// Advances by `step` every time it is read: the run's packets and the clock move together.
class SteppingClock final : public Clock {
 public:
  SteppingClock(Timestamp start, Duration step) : now_(start), step_(step) {}
  Timestamp now() const override {
    const Timestamp current = now_;
    now_ = now_ + step_;
    return current;
  }

 private:
  mutable Timestamp now_;
  Duration step_;
};

class SieveLoop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char pattern[] = "/tmp/mamori-loop-XXXXXX";
    dir_ = new fs::path(mkdtemp(pattern));
    synth::SynthOptions options;
    options.out_path = (*dir_ / "capture.pcap").string();
    options.seed = 5;
    options.size_mb = 2;
    ASSERT_TRUE(synth::synthesize(options));
    std::ofstream(*dir_ / "mamori.toml")
        << "sensor = \"gw-loop\"\ncountry_db = \"" << MAMORI_SOURCE_DIR
        << "/data/iptoasn-country.mmdb\"\ncategories = [\"FF\", \"FD\", \"DF\"]\n"
        << "ruleset = \"capture.rules.toml\"\nstore = \"sqlite::memory:\"\n";
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  struct Outcome {
    SieveLoopResult loop;
    std::uint64_t records = 0;
    std::uint64_t summary_packets = 0;
  };

  static Outcome run(const Clock& clock, Timestamp not_after, std::uint64_t check_every) {
    auto sensor = load_sensor((*dir_ / "mamori.toml").string());
    EXPECT_TRUE(sensor) << sensor.error().message;
    auto store = store::open_store("sqlite::memory:");
    EXPECT_TRUE(store);
    auto run_id = (*store)->begin_run({.sensor = "gw-loop", .started_at = Timestamp{}});
    EXPECT_TRUE(run_id);
    store::StoreSink sink(**store, *run_id);
    auto sieve = sieve::Sieve::create(sensor->config, *sensor->classifier, sensor->rules, sink);
    EXPECT_TRUE(sieve);
    auto packets = capture::open_capture_file((*dir_ / "capture.pcap").string());
    EXPECT_TRUE(packets);
    ProgressBar progress(0);
    Outcome outcome;
    outcome.loop =
        run_sieve_loop(**packets, **sieve, sink, progress, clock, not_after, check_every);
    (*sieve)->finish();
    EXPECT_TRUE(sink.flush());
    outcome.records = *(*store)->count({});
    outcome.summary_packets = (*sieve)->summary().packets;
    return outcome;
  }

  static fs::path* dir_;
};

fs::path* SieveLoop::dir_ = nullptr;

const Timestamp kStart = Timestamp{} + Duration::seconds(1'800'000'000);

TEST_F(SieveLoop, RunsToTheEndInsideTheWindow) {
  SteppingClock clock(kStart, Duration::seconds(1));
  const Outcome outcome = run(clock, kStart + Duration::seconds(1'000'000'000), 64);
  EXPECT_EQ(outcome.loop.status, capture::NextStatus::end);
  EXPECT_FALSE(outcome.loop.selection_stopped_at);
  EXPECT_EQ(outcome.summary_packets, outcome.loop.packets);
  EXPECT_GT(outcome.records, 0u);
}

TEST_F(SieveLoop, Invariant_I4_ExpiryMidRunStopsSelectionAtThatMoment) {
  SteppingClock full_clock(kStart, Duration::seconds(1));
  const Outcome full = run(full_clock, kStart + Duration::seconds(1'000'000'000), 64);
  ASSERT_GT(full.loop.packets, 3000u);

  // One clock read at the start, then one per 64 packets: the window closes after 2048 packets.
  SteppingClock clock(kStart, Duration::seconds(1));
  const Timestamp not_after = kStart + Duration::seconds(32);
  const Outcome cut = run(clock, not_after, 64);
  ASSERT_TRUE(cut.loop.selection_stopped_at);
  EXPECT_EQ(*cut.loop.selection_stopped_at, not_after);
  EXPECT_EQ(cut.loop.status, capture::NextStatus::packet) << "the loop stopped reading";
  EXPECT_EQ(cut.loop.packets, 32u * 64u);
  EXPECT_EQ(cut.summary_packets, cut.loop.packets) << "nothing after the expiry was processed";
  EXPECT_LT(cut.records, full.records);
}

TEST_F(SieveLoop, Invariant_I4_ExpiredBeforeTheFirstPacketReadsNothing) {
  SteppingClock clock(kStart, Duration::seconds(1));
  const Outcome outcome = run(clock, kStart, 64);
  ASSERT_TRUE(outcome.loop.selection_stopped_at);
  EXPECT_EQ(outcome.loop.packets, 0u);
  EXPECT_EQ(outcome.summary_packets, 0u);
  EXPECT_EQ(outcome.records, 0u);
}

}  // namespace
}  // namespace mamori::cli
