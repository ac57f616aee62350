#include "mamori/store/store_sink.h"

namespace mamori::store {

StoreSink::StoreSink(RunWriter& store, RunId run, std::chrono::milliseconds flush_interval,
                     std::size_t batch)
    : store_(store), run_(run), flush_interval_(flush_interval), batch_(batch) {
  buffer_.reserve(batch_);
}

void StoreSink::emit(sieve::Record&& record) {
  if (error_) return;
  if (buffer_.empty() && !dirty_) oldest_unflushed_ = std::chrono::steady_clock::now();
  buffer_.push_back(std::move(record));
  if (buffer_.size() >= batch_) append_buffer();
}

void StoreSink::append_buffer() {
  if (buffer_.empty() || error_) return;
  if (auto appended = store_.append(run_, buffer_); !appended) {
    error_ = appended.error();
    return;
  }
  written_ += buffer_.size();
  buffer_.clear();
  dirty_ = true;
}

void StoreSink::tick() {
  if ((buffer_.empty() && !dirty_) || error_) return;
  if (std::chrono::steady_clock::now() - oldest_unflushed_ < flush_interval_) return;
  (void)flush();
}

Result<void> StoreSink::flush() {
  append_buffer();
  if (error_) return fail(*error_);
  if (!dirty_) return {};
  if (auto flushed = store_.flush(); !flushed) {
    error_ = flushed.error();
    return fail(*error_);
  }
  dirty_ = false;
  return {};
}

}  // namespace mamori::store
