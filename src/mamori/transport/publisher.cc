#include "mamori/transport/publisher.h"

#include <chrono>
#include <limits>

#include "mamori/sieve/record_json.h"
#include "mamori/transport/batch_message.h"
#include "mamori/transport/nats_connection.h"
#include "mamori/transport/spool.h"

namespace mamori::transport {
namespace {

// Room left in a batch message for its header line (run info, keys).
constexpr std::size_t kHeaderReserve = 4096;
// After a publish was not acked, the network is left alone this long (the batches meanwhile
// go to the spool), so a sieve is not held up by one ack timeout per batch.
constexpr std::int64_t kRetryDelayMs = 1000;
// Spooled batches sent per full batch appended, so draining a large spool does not stall the
// sieve; flush(), end_run() and drain() send all of it.
constexpr std::size_t kDrainBudget = 16;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The record count a spooled payload's header announces (0 if unreadable: counters only).
std::uint64_t records_in(std::string_view payload) {
  const auto header = nlohmann::json::parse(payload.substr(0, payload.find('\n')), nullptr, false);
  if (!header.is_object()) return 0;
  const auto it = header.find("records");
  return it != header.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

}  // namespace

Publisher::Publisher(PublisherOptions options) : options_(std::move(options)) {}

Publisher::~Publisher() = default;

Result<std::unique_ptr<Publisher>> Publisher::open(const PublisherOptions& options) {
  if (options.nats.servers.empty()) return fail("nats publisher: no server");
  std::unique_ptr<Publisher> publisher(new Publisher(options));
  auto spool = Spool::open(options.spool_dir, options.spool_key, options.spool_max_bytes);
  if (!spool) return fail(spool.error());
  publisher->spool_ = std::move(*spool);
  auto nats = detail::NatsConnection::open(options.nats.servers, options.ack_timeout_ms);
  if (!nats) return fail(nats.error());
  publisher->nats_ = std::move(*nats);
  return publisher;
}

Result<store::RunId> Publisher::begin_run(const store::RunInfo& info) {
  if (info.sensor.empty()) return fail("nats publisher: begin_run: the run has no sensor name");
  if (info.retention.nanos <= 0 || info.retention > store::kMaxRetention ||
      info.retention.nanos % 1'000'000'000 != 0) {
    return fail(
        "nats publisher: begin_run: retention must be a positive whole number of seconds "
        "up to 100 years");
  }
  const store::RunId id = next_run_++;
  OpenRun& run = runs_[id];
  run.key = make_run_key(info.sensor);
  run.info = info;
  const std::string payload =
      encode_header(MessageKind::kBegin, run.key, info, 0, 0, nullptr, std::nullopt);
  outbox_.push_back(Outgoing{message_id(MessageKind::kBegin, run.key, 0), payload, 0});
  if (auto ok = deliver(true); !ok) return fail(ok.error());
  return id;
}

void Publisher::seal(OpenRun& run) {
  if (run.buffered == 0) return;
  const std::uint64_t seq = run.next_seq++;
  std::string payload = encode_header(MessageKind::kBatch, run.key, run.info, seq, run.buffered,
                                      nullptr, std::nullopt);
  payload += run.buffer;
  outbox_.push_back(
      Outgoing{message_id(MessageKind::kBatch, run.key, seq), std::move(payload), run.buffered});
  run.buffer.clear();
  run.buffered = 0;
}

Result<void> Publisher::append(store::RunId id, std::span<const sieve::Record> records) {
  const auto it = runs_.find(id);
  if (it == runs_.end() || it->second.ended) {
    return fail("nats publisher: append: run {} was not begun here or has ended", id);
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (auto ok = sieve::validate_record(records[i]); !ok) {
      return fail("nats publisher: append: record {} of the call: {}", i, ok.error().message);
    }
  }
  // A backed-up outbox (spool full) refuses new records rather than holding ever more of them
  // in memory.
  if (!outbox_.empty()) {
    if (auto ok = deliver(false); !ok) return fail(ok.error());
  }
  OpenRun& run = it->second;
  bool sealed = false;
  for (const sieve::Record& record : records) {
    const std::string line = sieve::record_to_json_line(record);
    if (run.buffered > 0 &&
        run.buffer.size() + line.size() + 1 + kHeaderReserve > options_.batch_bytes) {
      seal(run);
      sealed = true;
    }
    run.buffer.push_back('\n');
    run.buffer += line;
    ++run.buffered;
    if (run.buffered >= options_.batch_records) {
      seal(run);
      sealed = true;
    }
  }
  counters_.records_appended += records.size();
  // The records are accepted (held here) whatever delivery does now; a failure to deliver is
  // reported by the next call.
  if (sealed) {
    if (auto ok = deliver(false); !ok) delivery_error_ = ok.error();
  }
  return {};
}

Result<void> Publisher::flush() {
  for (auto& [id, run] : runs_) seal(run);
  return deliver(true);
}

Result<void> Publisher::end_run(store::RunId id, const nlohmann::json& summary,
                                Timestamp ended_at) {
  const auto it = runs_.find(id);
  if (it == runs_.end() || it->second.ended) {
    return fail("nats publisher: end_run: run {} was not begun here or has ended", id);
  }
  OpenRun& run = it->second;
  seal(run);
  outbox_.push_back(
      Outgoing{message_id(MessageKind::kEnd, run.key, 0),
               encode_header(MessageKind::kEnd, run.key, run.info, 0, 0, summary, ended_at), 0});
  run.ended = true;
  return deliver(true);
}

Result<bool> Publisher::drain(std::int64_t wait_ms) {
  if (nats_->wait_connected(wait_ms)) retry_after_ms_ = 0;
  if (auto ok = deliver(true); !ok) return fail(ok.error());
  return spool_->empty() && outbox_.empty();
}

bool Publisher::may_try_network() { return now_ms() >= retry_after_ms_ && nats_->connected(); }

Result<bool> Publisher::publish(const std::string& id, const std::string& payload) {
  if (payload.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return fail("nats publisher: message {} too large", id);
  }
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MsgId = id.c_str();
  options.ExpectStream = options_.nats.stream.c_str();
  options.MaxWait = options_.ack_timeout_ms;
  jsPubAck* ack = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus status =
      js_Publish(&ack, nats_->js(), options_.nats.subject.c_str(), payload.data(),
                 static_cast<int>(payload.size()), &options, &code);
  if (ack != nullptr) jsPubAck_Destroy(ack);
  if (status == NATS_OK) return true;
  ++counters_.publish_failures;
  retry_after_ms_ = now_ms() + kRetryDelayMs;
  return false;
}

Result<void> Publisher::deliver(bool drain_everything) {
  // The spool first, oldest first: batches reach the stream in the order they were made.
  std::size_t budget = drain_everything ? std::numeric_limits<std::size_t>::max() : kDrainBudget;
  while (!spool_->empty() && budget > 0 && may_try_network()) {
    --budget;
    auto entry = spool_->front();
    if (!entry) return fail(entry.error());
    if (*entry == nullptr) break;
    auto sent = publish((*entry)->id, (*entry)->payload);
    if (!sent) return fail(sent.error());
    if (!*sent) break;
    counters_.records_drained += records_in((*entry)->payload);
    ++counters_.batches_drained;
    if (auto popped = spool_->pop(); !popped) return popped;
  }
  while (!outbox_.empty()) {
    Outgoing& message = outbox_.front();
    if (spool_->empty() && may_try_network()) {
      auto sent = publish(message.id, message.payload);
      if (!sent) return fail(sent.error());
      if (*sent) {
        counters_.records_published += message.records;
        ++counters_.batches_published;
        outbox_.pop_front();
        continue;
      }
    }
    if (auto spooled = spool_->push(message.id, message.payload); !spooled) {
      delivery_error_ = spooled.error();
      return fail(spooled.error());
    }
    counters_.records_spooled += message.records;
    ++counters_.batches_spooled;
    outbox_.pop_front();
  }
  delivery_error_.reset();
  return {};
}

PublisherCounters Publisher::counters() const {
  PublisherCounters out = counters_;
  out.pending_batches = outbox_.size();
  out.spool_batches = spool_->entries();
  out.spool_bytes = spool_->bytes();
  out.spool_max_bytes = spool_->max_bytes();
  return out;
}

std::string Publisher::run_key(store::RunId run) const {
  const auto it = runs_.find(run);
  return it == runs_.end() ? std::string{} : it->second.key;
}

Result<std::unique_ptr<Publisher>> open_publisher_from_url(std::string_view url) {
  auto options = parse_publisher_url(url);
  if (!options) return fail(options.error());
  return Publisher::open(*options);
}

Result<std::unique_ptr<store::RunWriter>> open_publisher(std::string_view url) {
  auto publisher = open_publisher_from_url(url);
  if (!publisher) return fail(publisher.error());
  return std::unique_ptr<store::RunWriter>(std::move(*publisher));
}

}  // namespace mamori::transport
