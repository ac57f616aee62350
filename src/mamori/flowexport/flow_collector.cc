#include "mamori/flowexport/flow_collector.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace mamori::flowexport {
namespace {

std::string system_error(int error) { return std::strerror(error); }

ExporterId exporter_of(const sockaddr_storage& from) {
  ExporterId id;
  if (from.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(from);
    id.address = IpAddress::v4(ntohl(in.sin_addr.s_addr));
    id.port = ntohs(in.sin_port);
  } else if (from.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(from);
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
    id.address = IpAddress::v6(bytes);
    id.port = ntohs(in6.sin6_port);
  }
  return id;
}

}  // namespace

nlohmann::json CollectorStats::to_json() const {
  return {{"datagrams", datagrams},
          {"bytes", bytes},
          {"records", records},
          {"malformed_datagrams", malformed_datagrams},
          {"unknown_template_sets", unknown_template_sets},
          {"invalid_templates", invalid_templates},
          {"invalid_template_sets", invalid_template_sets},
          {"sequence_gaps", sequence_gaps},
          {"sequence_missing", sequence_missing},
          {"oversize_datagrams", oversize_datagrams},
          {"unknown_version_datagrams", unknown_version_datagrams},
          {"receive_errors", receive_errors},
          {"templates_learnt", templates_learnt},
          {"templates", templates},
          {"exporters", exporters},
          {"problems", problems}};
}

Result<std::unique_ptr<FlowCollector>> FlowCollector::open(const CollectorConfig& config) {
  // The operator's own listen address may be named in errors: it is configuration, not traffic.
  sockaddr_storage bind_to{};
  socklen_t bind_length = 0;
  int family = AF_INET;
  if (in_addr v4{}; inet_pton(AF_INET, config.address.c_str(), &v4) == 1) {
    auto& in = reinterpret_cast<sockaddr_in&>(bind_to);
    in.sin_family = AF_INET;
    in.sin_addr = v4;
    in.sin_port = htons(config.port);
    bind_length = sizeof(sockaddr_in);
  } else if (in6_addr v6{}; inet_pton(AF_INET6, config.address.c_str(), &v6) == 1) {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(bind_to);
    in6.sin6_family = AF_INET6;
    in6.sin6_addr = v6;
    in6.sin6_port = htons(config.port);
    bind_length = sizeof(sockaddr_in6);
    family = AF_INET6;
  } else {
    return fail("flow collector: listen address '{}' is not a numeric IPv4 or IPv6 address",
                config.address);
  }
  if (config.max_datagram == 0) return fail("flow collector: max_datagram must be at least 1");

  const int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail("flow collector: socket: {}", system_error(errno));
  if (config.receive_buffer > 0) {
    // Best effort: the kernel caps it at net.core.rmem_max.
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &config.receive_buffer,
                       sizeof(config.receive_buffer));
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&bind_to), bind_length) != 0) {
    const int error = errno;
    ::close(fd);
    return fail("flow collector: cannot bind {}:{}: {}", config.address, config.port,
                system_error(error));
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof(bound);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length) != 0) {
    const int error = errno;
    ::close(fd);
    return fail("flow collector: getsockname: {}", system_error(error));
  }
  const std::uint16_t port = exporter_of(bound).port;
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    const int error = errno;
    ::close(fd);
    return fail("flow collector: eventfd: {}", system_error(error));
  }
  return std::unique_ptr<FlowCollector>(new FlowCollector(fd, wake, config.address, port, config));
}

FlowCollector::FlowCollector(int socket, int wake, std::string address, std::uint16_t port,
                             CollectorConfig config)
    : socket_(socket),
      wake_(wake),
      address_(std::move(address)),
      port_(port),
      config_(std::move(config)),
      decoder_(config_.limits),
      // One byte more than the largest datagram decoded, so that a longer one is recognised
      // without relying on MSG_TRUNC alone.
      buffer_(config_.max_datagram + 1) {}

FlowCollector::~FlowCollector() {
  if (socket_ >= 0) ::close(socket_);
  if (wake_ >= 0) ::close(wake_);
}

std::string FlowCollector::endpoint() const {
  return address_.find(':') != std::string::npos ? fmt::format("[{}]:{}", address_, port_)
                                                 : fmt::format("{}:{}", address_, port_);
}

void FlowCollector::stop() {
  const std::uint64_t one = 1;
  // write() is async-signal-safe; a full counter (never in practice) still wakes the poll.
  [[maybe_unused]] const auto written = ::write(wake_, &one, sizeof(one));
}

Result<StopReason> FlowCollector::run(const RecordHandler& on_records, const Clock& clock,
                                      std::optional<Duration> idle,
                                      const std::function<void(Timestamp)>& tick) {
  Timestamp last_activity = clock.now();
  std::array<pollfd, 2> fds{pollfd{socket_, POLLIN, 0}, pollfd{wake_, POLLIN, 0}};
  for (;;) {
    int timeout_ms = 1000;
    if (idle) {
      const Duration left = (last_activity + *idle) - clock.now();
      if (left.nanos <= 0) return StopReason::idle;
      timeout_ms = static_cast<int>(std::min<std::int64_t>(1000, left.nanos / 1'000'000 + 1));
    }
    fds[0].revents = 0;
    fds[1].revents = 0;
    const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;  // a signal: its handler calls stop() if it means to
      return fail("flow collector: poll: {}", system_error(errno));
    }
    if (tick) tick(clock.now());
    if ((fds[1].revents & POLLIN) != 0) {
      std::uint64_t value = 0;
      [[maybe_unused]] const auto drained = ::read(wake_, &value, sizeof(value));
      // What was queued before stop() is still decoded (loopback senders rely on it): the
      // socket buffer bounds it, and so does the round limit under a flood.
      for (int round = 0; round < 4096 && drain(on_records, clock, last_activity) == kDrainBatch;
           ++round) {
      }
      return StopReason::stopped;
    }
    if ((fds[0].revents & (POLLERR | POLLNVAL)) != 0 && (fds[0].revents & POLLIN) == 0) {
      return fail("flow collector: socket {} failed", endpoint());
    }
    if ((fds[0].revents & POLLIN) != 0) drain(on_records, clock, last_activity);
  }
}

std::size_t FlowCollector::drain(const RecordHandler& on_records, const Clock& clock,
                                 Timestamp& last_activity) {
  // Bounded, so that stop() is still seen under a flood.
  std::size_t taken = 0;
  for (; taken < kDrainBatch; ++taken) {
    sockaddr_storage from{};
    iovec iov{buffer_.data(), buffer_.size()};
    msghdr message{};
    message.msg_name = &from;
    message.msg_namelen = sizeof(from);
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    const ssize_t received = ::recvmsg(socket_, &message, MSG_TRUNC);
    if (received < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return taken;
      // ICMP errors reported on an unconnected UDP socket, memory pressure: not fatal.
      ++stats_.receive_errors;
      return taken;
    }
    const Timestamp now = clock.now();
    last_activity = now;
    const auto size = static_cast<std::size_t>(received);
    if (size > config_.max_datagram || (message.msg_flags & MSG_TRUNC) != 0) {
      ++stats_.datagrams;
      stats_.bytes += size;
      ++stats_.oversize_datagrams;
      continue;
    }
    receive(exporter_of(from), std::span<const std::uint8_t>(buffer_.data(), size), now,
            on_records);
  }
  return taken;
}

void FlowCollector::receive(const ExporterId& exporter, std::span<const std::uint8_t> datagram,
                            Timestamp received, const RecordHandler& on_records) {
  ++stats_.datagrams;
  stats_.bytes += datagram.size();
  if (datagram.size() >= 2) {
    const auto version = static_cast<std::uint16_t>((datagram[0] << 8) | datagram[1]);
    if (version != 9 && version != 10) ++stats_.unknown_version_datagrams;
  }
  DecodeResult result = decoder_.decode(exporter, datagram, received);
  if (result.malformed()) ++stats_.malformed_datagrams;
  note_problems(result);
  stats_.records += result.records.size();
  if (!result.records.empty() && on_records) on_records(result.records);
}

void FlowCollector::note_problems(const DecodeResult& result) {
  for (const auto& problem : result.problems) {
    if (stats_.problems.size() >= config_.max_problems_kept) return;
    if (problem.kind == ProblemKind::ignored) continue;
    stats_.problems.push_back(problem.message);
  }
}

CollectorStats FlowCollector::stats() const {
  CollectorStats out = stats_;
  const DecoderStats decoded = decoder_.stats();
  out.unknown_template_sets = decoded.unknown_template;
  out.invalid_templates = decoded.invalid_template;
  out.invalid_template_sets = decoded.invalid_template_sets;
  out.sequence_gaps = decoded.sequence_gaps;
  out.sequence_missing = decoded.sequence_missing;
  out.templates_learnt = decoded.templates_learnt;
  out.templates = decoded.templates;
  out.exporters = decoder_.sequence_status().size();
  return out;
}

}  // namespace mamori::flowexport
