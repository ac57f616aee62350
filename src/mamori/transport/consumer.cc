#include "mamori/transport/consumer.h"

#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "mamori/transport/batch_message.h"
#include "mamori/transport/nats_connection.h"

namespace mamori::transport {

namespace detail {
struct Subscription {
  natsSubscription* sub = nullptr;
  ~Subscription() {
    // Destroy only: the durable consumer stays on the server for the next run.
    if (sub != nullptr) natsSubscription_Destroy(sub);
  }
};
}  // namespace detail

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Destroys a fetched list, nak'ing every message from `from` on (not applied).
struct FetchedList {
  natsMsgList list{};
  int acked_until = 0;  // messages [0, acked_until) were acked or terminated
  FetchedList() = default;
  FetchedList(const FetchedList&) = delete;
  FetchedList& operator=(const FetchedList&) = delete;
  ~FetchedList() { natsMsgList_Destroy(&list); }
  void nak_rest() {
    for (int i = acked_until; i < list.Count; ++i) natsMsg_Nak(list.Msgs[i], nullptr);
    acked_until = list.Count;
  }
};

}  // namespace

Consumer::Consumer(ConsumerOptions options, store::Store& store)
    : options_(std::move(options)), store_(store) {}

Consumer::~Consumer() {
  subscription_.reset();  // before the connection
  nats_.reset();
}

Result<std::unique_ptr<Consumer>> Consumer::open(const ConsumerOptions& options,
                                                 store::Store& store) {
  if (options.nats.servers.empty()) return fail("nats consumer: no server");
  std::unique_ptr<Consumer> consumer(new Consumer(options, store));
  auto nats = detail::NatsConnection::open(options.nats.servers, 5000);
  if (!nats) return fail(nats.error());
  consumer->nats_ = std::move(*nats);
  if (auto ok = consumer->setup(); !ok) return fail(ok.error());
  return consumer;
}

Result<void> Consumer::setup() {
  const std::int64_t deadline = now_ms() + options_.connect_timeout_ms;
  if (!nats_->wait_connected(options_.connect_timeout_ms)) {
    return fail("nats consumer: no server reachable within {} ms", options_.connect_timeout_ms);
  }
  const char* subjects[] = {options_.nats.subject.c_str()};
  std::string last_error;
  // A cluster that just started needs a moment to elect its JetStream leaders: retry until
  // the connect timeout.
  for (;;) {
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s =
        js_GetStreamInfo(&info, nats_->js(), options_.nats.stream.c_str(), nullptr, &code);
    if (info != nullptr) jsStreamInfo_Destroy(info);
    info = nullptr;
    if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
      jsStreamConfig config;
      jsStreamConfig_Init(&config);
      config.Name = options_.nats.stream.c_str();
      config.Subjects = subjects;
      config.SubjectsLen = 1;
      config.Storage = js_FileStorage;
      config.Replicas = options_.replicas;
      config.Duplicates = options_.dup_window_s * kNanosPerSecond;
      s = js_AddStream(&info, nats_->js(), &config, nullptr, &code);
      if (info != nullptr) jsStreamInfo_Destroy(info);
      // Created meanwhile by another consumer: fine.
      if (s != NATS_OK && code == JSStreamNameExistErr) s = NATS_OK;
    }
    if (s == NATS_OK) {
      jsConsumerInfo* consumer = nullptr;
      s = js_GetConsumerInfo(&consumer, nats_->js(), options_.nats.stream.c_str(),
                             options_.durable.c_str(), nullptr, &code);
      if (consumer != nullptr) jsConsumerInfo_Destroy(consumer);
      consumer = nullptr;
      if (s == NATS_NOT_FOUND || code == JSConsumerNotFoundErr) {
        jsConsumerConfig config;
        jsConsumerConfig_Init(&config);
        config.Durable = options_.durable.c_str();
        config.AckPolicy = js_AckExplicit;
        config.AckWait = options_.ack_wait_s * kNanosPerSecond;
        config.DeliverPolicy = js_DeliverAll;
        config.MaxAckPending = 20'000;
        s = js_AddConsumer(&consumer, nats_->js(), options_.nats.stream.c_str(), &config, nullptr,
                           &code);
        if (consumer != nullptr) jsConsumerInfo_Destroy(consumer);
      }
    }
    if (s == NATS_OK) {
      jsSubOptions sub_options;
      jsSubOptions_Init(&sub_options);
      sub_options.Stream = options_.nats.stream.c_str();
      sub_options.Consumer = options_.durable.c_str();
      auto subscription = std::make_unique<detail::Subscription>();
      s = js_PullSubscribe(&subscription->sub, nats_->js(), options_.nats.subject.c_str(),
                           options_.durable.c_str(), nullptr, &sub_options, &code);
      if (s == NATS_OK) {
        subscription_ = std::move(subscription);
        return {};
      }
    }
    last_error = detail::nats_error(s);
    if (now_ms() >= deadline) {
      return fail(
          "nats consumer: cannot set up stream '{}' / consumer '{}': {} (JetStream code {})",
          options_.nats.stream, options_.durable, last_error, static_cast<int>(code));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Result<bool> Consumer::apply(std::string_view payload, std::string& reason) {
  auto message = decode_message(payload);
  if (!message) {
    reason = message.error().message;
    return false;
  }
  store::RunId run = 0;
  if (const auto it = runs_.find(message->run_key); it != runs_.end()) {
    run = it->second;
  } else {
    auto imported = store_.import_run(message->run_key, message->info);
    if (!imported) return fail(imported.error());
    run = *imported;
    runs_.emplace(message->run_key, run);
  }
  switch (message->kind) {
    case MessageKind::kBegin:
      break;
    case MessageKind::kBatch: {
      auto imported = store_.import_batch(
          run, message_id(MessageKind::kBatch, message->run_key, message->seq), message->records);
      if (!imported) return fail(imported.error());
      const std::lock_guard lock(counters_mutex_);
      if (*imported) {
        ++counters_.batches_imported;
        counters_.records_imported += message->records.size();
      } else {
        ++counters_.batches_duplicate;
      }
      break;
    }
    case MessageKind::kEnd: {
      if (auto ended = store_.import_end(run, message->summary, message->ended_at); !ended) {
        return fail(ended.error());
      }
      const std::lock_guard lock(counters_mutex_);
      ++counters_.runs_ended;
      break;
    }
  }
  return true;
}

Result<void> Consumer::run() {
  std::uint64_t idle = 0;
  std::uint64_t applied = 0;
  while (!stop_.load()) {
    FetchedList fetched;
    const natsStatus s = natsSubscription_Fetch(&fetched.list, subscription_->sub, options_.fetch,
                                                options_.fetch_timeout_ms, nullptr);
    if (s == NATS_TIMEOUT || (s == NATS_OK && fetched.list.Count == 0)) {
      ++idle;
      if (options_.max_idle_fetches != 0 && idle >= options_.max_idle_fetches) return {};
      continue;
    }
    if (s != NATS_OK) {
      // The connection is switching servers or the consumer's leader is moving: try again.
      {
        const std::lock_guard lock(counters_mutex_);
        ++counters_.fetch_errors;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    idle = 0;
    // A fetch holds up to `fetch` messages; applying them one after another can take longer
    // than ack_wait_s on a slow store, and the server would then redeliver the tail while it
    // is still waiting here. Telling the server they are in progress restarts their ack clock.
    const std::int64_t touch_every_ms = std::max<std::int64_t>(options_.ack_wait_s * 1000 / 3, 1);
    std::int64_t last_touch_ms = now_ms();
    for (int i = 0; i < fetched.list.Count; ++i) {
      if (stop_.load()) {
        fetched.nak_rest();
        return {};
      }
      if (now_ms() - last_touch_ms >= touch_every_ms) {
        for (int j = i; j < fetched.list.Count; ++j) {
          natsMsg_InProgress(fetched.list.Msgs[j], nullptr);
        }
        last_touch_ms = now_ms();
      }
      natsMsg* msg = fetched.list.Msgs[i];
      {
        const std::lock_guard lock(counters_mutex_);
        ++counters_.messages;
      }
      std::string reason;
      auto ok = apply(std::string_view(natsMsg_GetData(msg),
                                       static_cast<std::size_t>(natsMsg_GetDataLength(msg))),
                      reason);
      if (!ok) {
        fetched.acked_until = fetched.list.Count;  // unacked: redelivered after ack_wait_s
        return fail("nats consumer: {}", ok.error().message);
      }
      ++applied;
      if (options_.crash_after_messages != 0 && applied >= options_.crash_after_messages) {
        fetched.acked_until = fetched.list.Count;  // a crash acks nothing more
        return {};
      }
      if (*ok) {
        natsMsg_Ack(msg, nullptr);
      } else {
        natsMsg_Term(msg, nullptr);
        const std::lock_guard lock(counters_mutex_);
        ++counters_.rejected;
      }
      fetched.acked_until = i + 1;
    }
  }
  return {};
}

void Consumer::stop() { stop_.store(true); }

ConsumerCounters Consumer::counters() const {
  const std::lock_guard lock(counters_mutex_);
  return counters_;
}

}  // namespace mamori::transport
