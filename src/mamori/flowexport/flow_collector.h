#pragma once
// flowexport/flow_collector: the UDP socket that receives IPFIX (RFC 7011) and NetFlow v9
// (RFC 3954) exports from routers, and hands each datagram's decoded records to the caller.
//
// Contract:
// - One socket bound to the address and port given (port 0: the kernel picks one; port()
//   says which). Datagrams are decoded by one FlowExportDecoder, whose templates and sequence
//   numbers are kept per exporter address/port and observation domain (source id), so two
//   routers using the same template ids never mix.
// - run() loops on poll() over the socket and a wake fd until stop() (thread-safe and
//   async-signal-safe: one write() to an eventfd), until the idle timeout passes without a
//   datagram, or until the socket fails. Records are handed over on run()'s thread.
// - Nothing a datagram carries is fatal: malformed datagrams, data for unknown or refused
//   templates, sequence gaps and datagrams larger than the receive buffer (oversize: dropped
//   undecoded, since a truncated export cannot be trusted) are counted. The problems kept for
//   the run's report are the decoder's texts, which carry offsets, ids and lengths only, never
//   addresses or field values.
// - Receive times come from the Clock given to run(), so tests can fix them.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/flowexport/flow_export_decoder.h"
#include "mamori/flowexport/flow_export_record.h"

namespace mamori::flowexport {

struct CollectorConfig {
  std::string address = "127.0.0.1";  // numeric IPv4 or IPv6 address
  std::uint16_t port = 0;             // 0: any free port
  DecoderLimits limits = {};
  // Largest datagram decoded; a longer one is dropped and counted as oversize. 65535 holds
  // every UDP payload over IPv4 and IPv6 without jumbograms.
  std::size_t max_datagram = 65535;
  // Socket receive buffer asked for (SO_RCVBUF), so that bursts from exporters are not lost
  // while records are processed; 0 keeps the system default.
  int receive_buffer = 4 << 20;
  // Problem texts kept for the report (the counters count all of them).
  std::size_t max_problems_kept = 32;
};

struct CollectorStats {
  std::uint64_t datagrams = 0;  // datagrams received (oversize ones included)
  std::uint64_t bytes = 0;      // their UDP payload bytes, as received
  std::uint64_t records = 0;    // flow records decoded and handed over
  std::uint64_t malformed_datagrams = 0;
  std::uint64_t unknown_template_sets = 0;  // data sets dropped: template not (yet) known
  std::uint64_t invalid_templates = 0;      // template records refused
  std::uint64_t invalid_template_sets = 0;  // data sets dropped: their template was refused
  std::uint64_t sequence_gaps = 0;
  std::uint64_t sequence_missing = 0;  // records (IPFIX) / packets (v9) skipped by the gaps
  std::uint64_t oversize_datagrams = 0;
  std::uint64_t unknown_version_datagrams = 0;  // neither IPFIX nor NetFlow v9
  std::uint64_t receive_errors = 0;             // recvmsg() failures that were not fatal
  std::uint64_t templates_learnt = 0;
  std::size_t templates = 0;  // templates cached at the end
  std::size_t exporters = 0;  // distinct exporter sessions seen (address, port, domain)
  std::vector<std::string> problems = {};  // the first max_problems_kept problem texts

  nlohmann::json to_json() const;
};

// Receives the records of one datagram; called on run()'s thread.
using RecordHandler = std::function<void(std::span<const FlowExportRecord> records)>;

enum class StopReason : std::uint8_t { stopped, idle, socket_error };

class FlowCollector {
 public:
  // Binds the socket. Fails (naming the address given by the operator and the system error)
  // when the address does not parse or cannot be bound.
  static Result<std::unique_ptr<FlowCollector>> open(const CollectorConfig& config);
  ~FlowCollector();
  FlowCollector(const FlowCollector&) = delete;
  FlowCollector& operator=(const FlowCollector&) = delete;

  // The bound address and port ("127.0.0.1", 2055).
  const std::string& address() const { return address_; }
  std::uint16_t port() const { return port_; }
  // "127.0.0.1:2055" or "[::1]:2055".
  std::string endpoint() const;

  // Receives until stop(), until `idle` passes without a datagram (measured from the start or
  // the latest datagram; nullopt: never), or until the socket fails (the error is returned).
  // `tick` (optional) is called at least once a second with the clock's time, so that the
  // caller can expire state while no datagram arrives.
  Result<StopReason> run(const RecordHandler& on_records, const Clock& clock,
                         std::optional<Duration> idle = std::nullopt,
                         const std::function<void(Timestamp)>& tick = {});
  // Ends run() promptly; callable from any thread or a signal handler, before or during run().
  // Datagrams already queued on the socket when run() sees the stop are still decoded.
  void stop();

  // Decodes one datagram as if it had been received from `exporter` at `received` (run() uses
  // it; tests and replays may too).
  void receive(const ExporterId& exporter, std::span<const std::uint8_t> datagram,
               Timestamp received, const RecordHandler& on_records);

  CollectorStats stats() const;

 private:
  FlowCollector(int socket, int wake, std::string address, std::uint16_t port,
                CollectorConfig config);
  static constexpr std::size_t kDrainBatch = 256;
  // Receives up to kDrainBatch queued datagrams; returns how many were taken.
  std::size_t drain(const RecordHandler& on_records, const Clock& clock, Timestamp& last_activity);
  void note_problems(const DecodeResult& result);

  int socket_ = -1;
  int wake_ = -1;  // eventfd
  std::string address_;
  std::uint16_t port_ = 0;
  CollectorConfig config_;
  FlowExportDecoder decoder_;
  CollectorStats stats_;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace mamori::flowexport
