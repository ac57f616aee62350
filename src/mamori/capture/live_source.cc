#include "mamori/capture/live_source.h"

#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace mamori::capture {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
// Beyond the two block timeouts a packet may wait in a partly filled V3 block: the kernel's
// retire timer and softirq scheduling.
constexpr std::chrono::milliseconds kDrainMargin{20};

// libpcap's DLT_ values for the link types mamori decodes (pcap/dlt.h). They equal the
// LINKTYPE_ values except raw IP, which Linux reports as DLT_RAW 12.
std::optional<LinkType> link_type_of(int dlt) {
  switch (dlt) {
    case DLT_EN10MB:
      return LinkType::ethernet;
    case DLT_RAW:
    case 101:  // LINKTYPE_RAW, in case a platform reports it as such
      return LinkType::raw;
    case DLT_LINUX_SLL:
      return LinkType::linux_sll;
    case DLT_LINUX_SLL2:
      return LinkType::linux_sll2;
    case DLT_IPV4:
      return LinkType::ipv4;
    case DLT_IPV6:
      return LinkType::ipv6;
    default:
      return std::nullopt;
  }
}

std::string pcap_text(pcap_t* handle) {
  const char* text = pcap_geterr(handle);
  return text != nullptr ? text : "";
}

// "<status> (<libpcap's detail>)", or the status alone when libpcap left no detail.
std::string status_text(pcap_t* handle, int status) {
  std::string text = pcap_statustostr(status);
  const std::string detail = pcap_text(handle);
  if (!detail.empty() && detail != text) text += " (" + detail + ")";
  if (status == PCAP_ERROR_PERM_DENIED) text += "; live capture needs CAP_NET_RAW (root)";
  return text;
}

}  // namespace

Result<std::unique_ptr<LivePacketSource>> LivePacketSource::open(const LiveOptions& options) {
  const std::string& name = options.interface;
  if (name.empty()) return fail("live capture: no interface name given");
  if (options.timeout_ms <= 0) {
    return fail(
        "live capture on interface '{}': timeout must be positive (it bounds how long a "
        "captured packet can wait in the kernel ring)",
        name);
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle = pcap_create(name.c_str(), errbuf);
  if (handle == nullptr) {
    return fail("live capture on interface '{}': pcap_create: {}", name, errbuf);
  }
  const auto refuse = [&](const char* step, int status) {
    Error error{fmt::format("live capture on interface '{}': {}: {}", name, step,
                            status_text(handle, status))};
    pcap_close(handle);
    return fail(std::move(error));
  };
  if (int status = pcap_set_snaplen(handle, static_cast<int>(options.snaplen)); status != 0) {
    return refuse("snaplen", status);
  }
  if (int status = pcap_set_promisc(handle, options.promiscuous ? 1 : 0); status != 0) {
    return refuse("promiscuous mode", status);
  }
  if (int status = pcap_set_buffer_size(handle, static_cast<int>(options.buffer_bytes));
      status != 0) {
    return refuse("buffer size", status);
  }
  if (int status = pcap_set_timeout(handle, options.timeout_ms); status != 0) {
    return refuse("timeout", status);
  }
  if (int status = pcap_set_immediate_mode(handle, options.immediate ? 1 : 0); status != 0) {
    return refuse("immediate mode", status);
  }
  // Nanosecond stamps where the platform has them (Linux does); microseconds otherwise.
  (void)pcap_set_tstamp_precision(handle, PCAP_TSTAMP_PRECISION_NANO);

  if (int status = pcap_activate(handle); status < 0) return refuse("activate", status);
  // Warnings (status > 0, e.g. promiscuous mode not supported) leave a working capture.

  const int dlt = pcap_datalink(handle);
  const auto link_type = link_type_of(dlt);
  if (!link_type) {
    const char* dlt_name = pcap_datalink_val_to_name(dlt);
    Error error{
        fmt::format("live capture on interface '{}': unsupported link type {} ({}); "
                    "mamori reads Ethernet, raw IP, IPv4, IPv6, Linux SLL and SLL2",
                    name, dlt, dlt_name != nullptr ? dlt_name : "unknown")};
    pcap_close(handle);
    return fail(std::move(error));
  }
  if (pcap_setnonblock(handle, 1, errbuf) != 0) {
    Error error{fmt::format("live capture on interface '{}': non-blocking mode: {}", name, errbuf)};
    pcap_close(handle);
    return fail(std::move(error));
  }
  const int pcap_fd = pcap_get_selectable_fd(handle);
  if (pcap_fd < 0) {
    pcap_close(handle);
    return fail("live capture on interface '{}': libpcap gives no selectable descriptor", name);
  }
  const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    const int saved = errno;
    pcap_close(handle);
    return fail("live capture on interface '{}': eventfd: {}", name, std::strerror(saved));
  }
  std::unique_ptr<LivePacketSource> source(new LivePacketSource(handle, name, wake_fd));
  source->pcap_fd_ = pcap_fd;
  source->link_type_ = *link_type;
  source->timeout_ms_ = options.timeout_ms;
  source->end_at_ = options.end_at;
  source->fraction_to_nanos_ =
      pcap_get_tstamp_precision(handle) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
  return source;
}

LivePacketSource::LivePacketSource(pcap_t* handle, std::string interface, int wake_fd)
    : handle_(handle), interface_(std::move(interface)), wake_fd_(wake_fd) {}

LivePacketSource::~LivePacketSource() {
  pcap_close(handle_);
  close(wake_fd_);
}

void LivePacketSource::stop() {
  stop_requested_.store(true, std::memory_order_release);
  // libpcap documents pcap_breakloop() as callable from another thread; it makes a read in
  // progress return early. The eventfd wakes our own poll() when no packet comes at all.
  pcap_breakloop(handle_);
  const std::uint64_t one = 1;
  // A full counter (never in practice) still leaves the fd readable, which is all we need.
  (void)!write(wake_fd_, &one, sizeof one);
}

NextStatus LivePacketSource::next(RawPacket& out) {
  if (ended_ || failed_) [[unlikely]] {
    return failed_ ? NextStatus::error : NextStatus::end;
  }
  for (;;) {
    if (stop_requested_.load(std::memory_order_acquire) && !drain_until_) [[unlikely]] {
      const auto period = 2 * std::chrono::milliseconds(timeout_ms_) + kDrainMargin;
      drain_until_ = std::chrono::steady_clock::now() + period;
      drain_stamp_ = SystemClock().now() + Duration::millis(period.count());
    }
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int status = pcap_next_ex(handle_, &header, &data);
    if (status == 1) [[likely]] {
      const Timestamp stamp{static_cast<std::int64_t>(header->ts.tv_sec) * kNanosPerSecond +
                            static_cast<std::int64_t>(header->ts.tv_usec) * fraction_to_nanos_};
      if (end_at_ && stamp >= *end_at_) [[unlikely]] {
        reached_end_time_ = true;
        return end();
      }
      // Captured after the drain period: the stop is behind us. (What the kernel captured
      // before it is read however long the sieve takes.)
      if (drain_stamp_ && stamp > *drain_stamp_) [[unlikely]]
        return end();
      out.timestamp = stamp;
      out.wire_length = std::max(header->len, header->caplen);
      out.link_type = link_type_;
      out.data = {data, header->caplen};
      ++delivered_;
      bytes_read_ += header->caplen;
      return NextStatus::packet;
    }
    if (status == PCAP_ERROR_BREAK) continue;  // stop() called pcap_breakloop: see above
    if (status < 0) return fail_with("reading");
    // Nothing ready now: end once the drain period is over, else wait for the ring, a stop
    // request or the end time.
    if (drain_until_ && std::chrono::steady_clock::now() >= *drain_until_) return end();
    int timeout = -1;
    if (end_at_) {
      const Timestamp now = SystemClock().now();
      if (now >= *end_at_) {
        reached_end_time_ = true;
        return end();
      }
      const auto millis = (*end_at_ - now).nanos / 1'000'000 + 1;
      timeout = static_cast<int>(std::min<std::int64_t>(millis, 60'000));
    }
    if (drain_until_) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
          *drain_until_ - std::chrono::steady_clock::now());
      const int drain = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
      timeout = timeout < 0 ? drain : std::min(timeout, drain);
    }
    // While libpcap waits for a vanished interface to be confirmed gone it asks for polls
    // with a short timeout (pcap_get_required_select_timeout(3PCAP)).
    if (const timeval* required = pcap_get_required_select_timeout(handle_)) {
      const auto millis = static_cast<int>(required->tv_sec * 1000 + required->tv_usec / 1000);
      timeout = timeout < 0 ? std::max(millis, 1) : std::min(timeout, std::max(millis, 1));
    }
    if (!wait(timeout)) return NextStatus::error;
  }
}

bool LivePacketSource::wait(int timeout_ms) {
  pollfd fds[2] = {{.fd = pcap_fd_, .events = POLLIN, .revents = 0},
                   {.fd = wake_fd_, .events = POLLIN, .revents = 0}};
  // Once stopping, the wake fd stays readable; only the ring matters until the drain ends.
  const nfds_t count = drain_until_ ? 1 : 2;
  const int ready = poll(fds, count, timeout_ms);
  if (ready < 0 && errno != EINTR) {
    const int saved = errno;
    error_ = Error{
        fmt::format("live capture on interface '{}': poll: {}", interface_, std::strerror(saved))};
    failed_ = true;
    return false;
  }
  // Socket errors (POLLERR, e.g. the interface went down) are read and reported by
  // pcap_next_ex on the next round.
  return true;
}

NextStatus LivePacketSource::end() {
  ended_ = true;
  return NextStatus::end;
}

NextStatus LivePacketSource::fail_with(const char* what) {
  error_ = Error{
      fmt::format("live capture on interface '{}': {}: {}", interface_, what, pcap_text(handle_))};
  failed_ = true;
  return NextStatus::error;
}

Result<LiveStats> LivePacketSource::stats() const {
  pcap_stat counters{};
  if (pcap_stats(handle_, &counters) != 0) {
    return fail("live capture on interface '{}': statistics: {}", interface_, pcap_text(handle_));
  }
  return LiveStats{.received = counters.ps_recv,
                   .dropped = counters.ps_drop,
                   .interface_dropped = counters.ps_ifdrop,
                   .delivered = delivered_};
}

int LivePacketSource::tpacket_version() const {
  int version = -1;
  socklen_t length = sizeof version;
  if (getsockopt(pcap_fd_, SOL_PACKET, PACKET_VERSION, &version, &length) != 0) return 0;
  switch (version) {
    case TPACKET_V1:
      return 1;
    case TPACKET_V2:
      return 2;
    case TPACKET_V3:
      return 3;
    default:
      return 0;
  }
}

}  // namespace mamori::capture
