// Live capture through libpcap. Without privileges only the refusals can be tested (they must
// name the interface and say why). With them (root, CAP_NET_RAW and CAP_SYS_ADMIN) each test
// captures on the loopback interface of a network namespace of its own, so the link is quiet
// and private: the only packets on it are the test's datagrams to 127.0.0.1.

#include "mamori/capture/live_source.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <future>
#include <string>
#include <thread>

namespace mamori::capture {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kPort = 40'404;
constexpr std::string_view kMarker = "mamori-live-source-test";

// A capture on `lo` of a fresh network namespace plus a UDP socket in the same namespace.
// Namespaces are per thread: a short-lived thread enters a new one, brings its loopback up
// and creates both sockets there; they stay in that namespace after the thread is gone.
struct PrivateLoopback {
  std::unique_ptr<LivePacketSource> source;
  int sender = -1;
  std::string skip;  // why the environment cannot run this test, if it cannot
  std::string error;

  explicit PrivateLoopback(LiveOptions options) {
    options.interface = "lo";
    std::thread([&] {
      if (unshare(CLONE_NEWNET) != 0) {
        skip = std::string("cannot create a network namespace: ") + std::strerror(errno);
        return;
      }
      sender = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      ifreq request{};
      std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
      if (sender < 0 || ioctl(sender, SIOCGIFFLAGS, &request) != 0) {
        error = std::string("loopback flags: ") + std::strerror(errno);
        return;
      }
      request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
      if (ioctl(sender, SIOCSIFFLAGS, &request) != 0) {
        error = std::string("loopback up: ") + std::strerror(errno);
        return;
      }
      auto opened = LivePacketSource::open(options);
      if (!opened) {
        error = opened.error().message;
        return;
      }
      source = std::move(*opened);
    }).join();
  }
  ~PrivateLoopback() {
    if (sender >= 0) close(sender);
  }

  void send_datagram() const {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(kPort);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(sendto(sender, kMarker.data(), kMarker.size(), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof to),
              static_cast<ssize_t>(kMarker.size()))
        << std::strerror(errno);
  }
};

#define OPEN_PRIVATE_LOOPBACK(name, ...)             \
  PrivateLoopback name(__VA_ARGS__);                 \
  if (!name.skip.empty()) GTEST_SKIP() << name.skip; \
  ASSERT_TRUE(name.source) << name.error

bool is_marker_datagram(const RawPacket& packet) {
  const std::string_view bytes(reinterpret_cast<const char*>(packet.data.data()),
                               packet.data.size());
  return bytes.ends_with(kMarker);
}

TEST(LiveSource, MissingInterfaceIsRefusedNamingItAndWhy) {
  const auto opened = LivePacketSource::open({.interface = "mamori-none0"});
  ASSERT_FALSE(opened);
  const std::string& message = opened.error().message;
  EXPECT_NE(message.find("interface 'mamori-none0'"), std::string::npos) << message;
  // As root the device is missing; without privileges the socket is refused first.
  EXPECT_TRUE(message.find("No such device") != std::string::npos ||
              message.find("CAP_NET_RAW") != std::string::npos)
      << message;
}

TEST(LiveSource, RefusesAnEmptyNameAndANonPositiveTimeout) {
  const auto unnamed = LivePacketSource::open({});
  ASSERT_FALSE(unnamed);
  EXPECT_NE(unnamed.error().message.find("no interface"), std::string::npos);
  const auto no_timeout = LivePacketSource::open({.interface = "lo", .timeout_ms = 0});
  ASSERT_FALSE(no_timeout);
  EXPECT_NE(no_timeout.error().message.find("timeout must be positive"), std::string::npos)
      << no_timeout.error().message;
}

// libpcap 1.10 uses TPACKET_V3 unless immediate mode is on; the defaults keep V3.
TEST(LiveSource, DefaultsKeepTpacketV3AndImmediateModeWouldNot) {
  OPEN_PRIVATE_LOOPBACK(buffered, LiveOptions{});
  EXPECT_EQ(buffered.source->tpacket_version(), 3);
  OPEN_PRIVATE_LOOPBACK(immediate, LiveOptions{.immediate = true});
  EXPECT_EQ(immediate.source->tpacket_version(), 2);
}

// Packets captured before stop() sit in a V3 block the kernel has not retired yet; the drain
// after stop() still delivers them, then the source ends.
TEST(LiveSource, DeliversEveryPacketCapturedBeforeStop) {
  OPEN_PRIVATE_LOOPBACK(link, LiveOptions{});
  constexpr int kDatagrams = 25;
  for (int i = 0; i < kDatagrams; ++i) link.send_datagram();
  link.source->stop();
  int seen = 0;
  RawPacket packet;
  NextStatus status;
  while ((status = link.source->next(packet)) == NextStatus::packet) {
    EXPECT_EQ(packet.link_type, LinkType::ethernet);
    EXPECT_GE(packet.wire_length, packet.data.size());
    if (is_marker_datagram(packet)) ++seen;
  }
  EXPECT_EQ(status, NextStatus::end) << link.source->error().message;
  EXPECT_GE(seen, kDatagrams);
  EXPECT_FALSE(link.source->reached_end_time());
  // Once ended it stays ended.
  EXPECT_EQ(link.source->next(packet), NextStatus::end);

  const auto stats = link.source->stats();
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_GE(stats->received, static_cast<std::uint64_t>(kDatagrams));
  EXPECT_EQ(stats->dropped, 0u);
  EXPECT_GE(stats->delivered, static_cast<std::uint64_t>(seen));
  EXPECT_GT(link.source->bytes_read(), 0u);
}

// A reader behind the link (a sieve busy with what came before) still gets every packet the
// kernel captured before the stop, however long after the drain period it reads them: the
// period bounds the wait for new packets, not the reading of captured ones.
TEST(LiveSource, DeliversWhatWasCapturedBeforeStopHoweverLateItIsRead) {
  OPEN_PRIVATE_LOOPBACK(link, LiveOptions{});
  constexpr int kDatagrams = 25;
  for (int i = 0; i < kDatagrams; ++i) link.send_datagram();
  link.source->stop();
  int seen = 0;
  RawPacket packet;
  NextStatus status = link.source->next(packet);  // the first read starts the drain period
  ASSERT_EQ(status, NextStatus::packet) << link.source->error().message;
  if (is_marker_datagram(packet)) ++seen;
  // The reader is slow: it comes back well after the period (2 x the block timeout + 20 ms).
  std::this_thread::sleep_for(2 * std::chrono::milliseconds(LiveOptions{}.timeout_ms) + 300ms);
  while ((status = link.source->next(packet)) == NextStatus::packet) {
    if (is_marker_datagram(packet)) ++seen;
  }
  EXPECT_EQ(status, NextStatus::end) << link.source->error().message;
  EXPECT_EQ(seen, 2 * kDatagrams);  // on loopback each datagram is captured going out and in
}

// A stop request from another thread (the signal watcher) wakes a reader waiting on a link
// where nothing arrives.
TEST(LiveSource, StopFromAnotherThreadEndsAWaitOnAQuietLink) {
  OPEN_PRIVATE_LOOPBACK(link, LiveOptions{});
  std::promise<Clock::time_point> ended;
  std::thread reader([&] {
    RawPacket packet;
    NextStatus status;
    while ((status = link.source->next(packet)) == NextStatus::packet) {
    }
    EXPECT_EQ(status, NextStatus::end);
    ended.set_value(Clock::now());
  });
  auto done = ended.get_future();
  // The reader is waiting (or about to): nothing comes, so it does not end by itself.
  EXPECT_EQ(done.wait_for(300ms), std::future_status::timeout);
  const auto stopped = Clock::now();
  link.source->stop();
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready);
  reader.join();
  // One drain period (2 × 20 ms + 20 ms) and scheduling; far below a second.
  EXPECT_LT(done.get() - stopped, 1s);
}

// The approval's not_after ends a capture even when no packet ever comes.
TEST(LiveSource, EndTimeEndsAQuietCapture) {
  const auto started = Clock::now();
  OPEN_PRIVATE_LOOPBACK(link, LiveOptions{.end_at = SystemClock().now() + Duration::millis(200)});
  RawPacket packet;
  EXPECT_EQ(link.source->next(packet), NextStatus::end) << link.source->error().message;
  EXPECT_TRUE(link.source->reached_end_time());
  EXPECT_GE(Clock::now() - started, 190ms);
  EXPECT_LT(Clock::now() - started, 5s);
}

TEST(LiveSource, EndTimeAlreadyPastEndsAtOnce) {
  OPEN_PRIVATE_LOOPBACK(link, LiveOptions{.end_at = SystemClock().now() - Duration::seconds(1)});
  link.send_datagram();
  RawPacket packet;
  EXPECT_EQ(link.source->next(packet), NextStatus::end);
  EXPECT_TRUE(link.source->reached_end_time());
}

}  // namespace
}  // namespace mamori::capture
