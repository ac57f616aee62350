#pragma once
// transport/transport_url: the URLs that name a NATS JetStream stream for the sensor side
// (Publisher) and the central side (Consumer), issue 9.
//
//   nats://HOST:PORT[,nats://HOST:PORT...]?param=value&param=value
//
// Values are taken literally (no percent-decoding), so they cannot contain '&' or '='.
// Common parameters:
//   stream=NAME          JetStream stream (default MAMORI)
//   subject=SUBJECT      subject the records travel on (default mamori.records)
// Publisher parameters:
//   spool=DIR            spool directory (required): batches the central site has not acked
//   spool_key=FILE       spool encryption key file (required; created 0600 if missing)
//   spool_max_mb=N       spool bound in MiB (default 512); when full, append fails
//   batch=N              records per batch message (default 1000)
//   batch_kb=N           payload bound per batch message in KiB (default 512; NATS' default
//                        max_payload is 1 MiB)
//   ack_timeout_ms=N     how long a publish waits for the JetStream ack (default 5000)
// Consumer parameters:
//   durable=NAME         durable consumer name (default mamori-central)
//   replicas=N           stream replicas when the consumer creates the stream (default 1)
//   dup_window_s=N       the stream's duplicate window when created (default 120)
//   fetch=N              messages per fetch (default 64)
//   fetch_timeout_ms=N   how long one fetch waits (default 1000)
//   ack_wait_s=N         redelivery delay of unacked messages (default 30)
//   connect_timeout_ms=N how long open() waits for a connection and a JetStream answer
//                        (default 30000; a cluster re-elects leaders after losing a node)

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"

namespace mamori::transport {

struct NatsTarget {
  std::vector<std::string> servers = {};  // "nats://host:port", in the URL's order
  std::string stream = "MAMORI";
  std::string subject = "mamori.records";
};

struct PublisherOptions {
  NatsTarget nats = {};
  std::string spool_dir = {};
  std::string spool_key = {};
  std::uint64_t spool_max_bytes = std::uint64_t{512} << 20;
  std::size_t batch_records = 1000;
  std::size_t batch_bytes = std::size_t{512} << 10;
  std::int64_t ack_timeout_ms = 5000;
};

struct ConsumerOptions {
  NatsTarget nats = {};
  std::string durable = "mamori-central";
  int replicas = 1;
  std::int64_t dup_window_s = 120;
  int fetch = 64;
  std::int64_t fetch_timeout_ms = 1000;
  std::int64_t ack_wait_s = 30;
  std::int64_t connect_timeout_ms = 30000;
  // Stop run() after this many consecutive fetches that returned nothing; 0: run until stop().
  std::uint64_t max_idle_fetches = 0;
  // Test hook simulating a crash between the store's commit and the ack: after applying this
  // many messages, run() returns without acking the last one. 0: off.
  std::uint64_t crash_after_messages = 0;
};

Result<PublisherOptions> parse_publisher_url(std::string_view url);
Result<ConsumerOptions> parse_consumer_url(std::string_view url);

}  // namespace mamori::transport
