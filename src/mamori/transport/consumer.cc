#include "mamori/transport/consumer.h"

#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
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

struct MsgDeleter {
  void operator()(natsMsg* msg) const { natsMsg_Destroy(msg); }
};
using OwnedMsg = std::unique_ptr<natsMsg, MsgDeleter>;

// Takes the messages out of a fetched list (the list itself is freed).
std::deque<OwnedMsg> take_messages(natsMsgList& list) {
  std::deque<OwnedMsg> out;
  for (int i = 0; i < list.Count; ++i) {
    out.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;
  }
  natsMsgList_Destroy(&list);
  return out;
}

// A fetched message, decoded ahead of the store.
struct Decoded {
  OwnedMsg msg;
  Result<BatchMessage> message;
};

// Between the fetching-and-decoding thread and the applying one: at most `capacity` decoded
// messages (each up to a batch of records) wait, so decoding runs one step ahead of the store
// without holding more than a few batches in memory.
class DecodedQueue {
 public:
  explicit DecodedQueue(std::size_t capacity) : capacity_(capacity) {}

  // Waits for room, marking the waiting messages in progress (the queued ones, and through
  // `touch` the caller's) every `touch_every`; false if the applier quit (the item stays the
  // caller's).
  template <class Touch>
  bool push(Decoded& item, std::chrono::milliseconds touch_every, Touch&& touch) {
    std::unique_lock lock(mutex_);
    while (items_.size() >= capacity_ && !quit_) {
      if (!not_full_.wait_for(lock, touch_every,
                              [&] { return items_.size() < capacity_ || quit_; })) {
        for (const Decoded& queued : items_) natsMsg_InProgress(queued.msg.get(), nullptr);
        touch();
      }
    }
    if (quit_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }
  // The next item, or nullopt once the producer finished and everything was taken.
  std::optional<Decoded> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty() || producer_done_; });
    if (items_.empty()) return std::nullopt;
    Decoded item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }
  void producer_done() {
    const std::lock_guard lock(mutex_);
    producer_done_ = true;
    not_empty_.notify_all();
  }
  // The applier stops taking items; the producer's next push fails. Returns what was queued.
  std::deque<Decoded> quit() {
    const std::lock_guard lock(mutex_);
    quit_ = true;
    not_full_.notify_all();
    return std::exchange(items_, {});
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<Decoded> items_;
  std::size_t capacity_;
  bool producer_done_ = false;
  bool quit_ = false;
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

Result<bool> Consumer::apply(Result<BatchMessage>& decoded, std::string& reason) {
  if (!decoded) {
    reason = decoded.error().message;
    return false;
  }
  BatchMessage& message = *decoded;
  store::RunId run = 0;
  if (const auto it = runs_.find(message.run_key); it != runs_.end()) {
    run = it->second;
  } else {
    auto imported = store_.import_run(message.run_key, message.info);
    if (!imported) return fail(imported.error());
    run = *imported;
    runs_.emplace(message.run_key, run);
  }
  switch (message.kind) {
    case MessageKind::kBegin:
      break;
    case MessageKind::kBatch: {
      auto imported = store_.import_batch(
          run, message_id(MessageKind::kBatch, message.run_key, message.seq), message.records);
      if (!imported) return fail(imported.error());
      const std::lock_guard lock(counters_mutex_);
      if (*imported) {
        ++counters_.batches_imported;
        counters_.records_imported += message.records.size();
      } else {
        ++counters_.batches_duplicate;
      }
      break;
    }
    case MessageKind::kEnd: {
      if (auto ended = store_.import_end(run, message.summary, message.ended_at); !ended) {
        return fail(ended.error());
      }
      const std::lock_guard lock(counters_mutex_);
      ++counters_.runs_ended;
      break;
    }
  }
  return true;
}

// Fetches and decodes on a thread of its own while this one applies, so the store's write of
// one batch overlaps the decoding of the next; messages are still applied and acked one at a
// time, in the order fetched.
Result<void> Consumer::run() {
  // A fetched message waits for its turn (in the fetched list, then in the queue); telling
  // the server it is in progress restarts its ack clock, or it would be redelivered meanwhile.
  const std::chrono::milliseconds touch_every(
      std::max<std::int64_t>(options_.ack_wait_s * 1000 / 3, 1));
  DecodedQueue queue(4);
  std::deque<OwnedMsg> unsent;  // fetched, not yet queued; the fetcher's until it joins
  std::atomic<bool> applier_quit{false};

  std::thread fetcher([&] {
    std::uint64_t idle = 0;
    auto touch_unsent = [&] {
      for (const OwnedMsg& msg : unsent) natsMsg_InProgress(msg.get(), nullptr);
    };
    while (!stop_.load() && !applier_quit.load()) {
      if (unsent.empty()) {
        natsMsgList list{};
        const natsStatus s = natsSubscription_Fetch(&list, subscription_->sub, options_.fetch,
                                                    options_.fetch_timeout_ms, nullptr);
        if (s == NATS_TIMEOUT || (s == NATS_OK && list.Count == 0)) {
          natsMsgList_Destroy(&list);
          ++idle;
          if (options_.max_idle_fetches != 0 && idle >= options_.max_idle_fetches) break;
          continue;
        }
        if (s != NATS_OK) {
          // The connection is switching servers or the consumer's leader is moving: again.
          natsMsgList_Destroy(&list);
          {
            const std::lock_guard lock(counters_mutex_);
            ++counters_.fetch_errors;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        idle = 0;
        unsent = take_messages(list);
      }
      natsMsg* next = unsent.front().get();
      auto decoded = decode_message(std::string_view(
          natsMsg_GetData(next), static_cast<std::size_t>(natsMsg_GetDataLength(next))));
      Decoded item{.msg = std::move(unsent.front()), .message = std::move(decoded)};
      unsent.pop_front();
      if (!queue.push(item, touch_every, touch_unsent)) {
        unsent.push_front(std::move(item.msg));
        break;
      }
    }
    queue.producer_done();
  });

  // What is left when the applier ends: nak'ed for redelivery after stop(), or left unacked
  // (redelivered after ack_wait_s) after a store error or the crash hook.
  auto finish = [&](bool nak) {
    applier_quit = true;
    std::deque<Decoded> queued = queue.quit();
    fetcher.join();
    if (!nak) return;
    for (const Decoded& item : queued) natsMsg_Nak(item.msg.get(), nullptr);
    for (const OwnedMsg& msg : unsent) natsMsg_Nak(msg.get(), nullptr);
  };

  std::uint64_t applied = 0;
  while (auto item = queue.pop()) {
    if (stop_.load()) {
      natsMsg_Nak(item->msg.get(), nullptr);
      finish(true);
      return {};
    }
    {
      const std::lock_guard lock(counters_mutex_);
      ++counters_.messages;
    }
    std::string reason;
    auto ok = apply(item->message, reason);
    if (!ok) {
      finish(false);  // this one too stays unacked
      return fail("nats consumer: {}", ok.error().message);
    }
    ++applied;
    if (options_.crash_after_messages != 0 && applied >= options_.crash_after_messages) {
      finish(false);  // a crash acks nothing more
      return {};
    }
    if (*ok) {
      natsMsg_Ack(item->msg.get(), nullptr);
    } else {
      natsMsg_Term(item->msg.get(), nullptr);
      const std::lock_guard lock(counters_mutex_);
      ++counters_.rejected;
    }
  }
  // The fetcher ended (stop() while it fetched, or the idle limit): everything queued was
  // applied; after stop() what it still held is nak'ed.
  finish(stop_.load());
  return {};
}

void Consumer::stop() { stop_.store(true); }

ConsumerCounters Consumer::counters() const {
  const std::lock_guard lock(counters_mutex_);
  return counters_;
}

}  // namespace mamori::transport
