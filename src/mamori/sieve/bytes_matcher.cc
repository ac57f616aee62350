#include "mamori/sieve/bytes_matcher.h"

#include <hs/hs.h>

#include <limits>
#include <utility>

namespace mamori::sieve {
namespace {

std::string escape(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 4);
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += "\\x";
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0f];
  }
  return out;
}

}  // namespace
BytesMatcher::BytesMatcher(BytesMatcher&& other) noexcept
    : database_(std::exchange(other.database_, nullptr)), patterns_(std::move(other.patterns_)) {}

BytesMatcher& BytesMatcher::operator=(BytesMatcher&& other) noexcept {
  if (this != &other) {
    hs_free_database(database_);
    database_ = std::exchange(other.database_, nullptr);
    patterns_ = std::move(other.patterns_);
  }
  return *this;
}

BytesMatcher::~BytesMatcher() { hs_free_database(database_); }

Result<void> BytesMatcher::build(const std::vector<Pattern>& patterns) {
  hs_free_database(database_);
  database_ = nullptr;
  patterns_.clear();
  if (patterns.empty()) return {};
  if (patterns.size() > std::numeric_limits<unsigned>::max()) {
    return fail("too many bytes patterns ({})", patterns.size());
  }
  // Every byte becomes \xHH: no pattern byte can act as regex syntax or end the C string
  // (the pure-literal API would be the natural fit, but Vectorscan 5.4 rejects literals that
  // start with a NUL byte as "empty").
  std::vector<std::string> escaped;
  escaped.reserve(patterns.size());
  for (const auto& pattern : patterns) escaped.push_back(escape(pattern.bytes));
  std::vector<const char*> expressions;
  std::vector<unsigned> flags(patterns.size(), HS_FLAG_SINGLEMATCH);
  std::vector<unsigned> ids;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    expressions.push_back(escaped[i].c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* database = nullptr;
  hs_compile_error_t* error = nullptr;
  const hs_error_t status = hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                                             static_cast<unsigned>(patterns.size()), HS_MODE_BLOCK,
                                             nullptr, &database, &error);
  if (status != HS_SUCCESS) {
    std::string message = error && error->message ? error->message : "unknown error";
    const int which = error ? error->expression : -1;
    hs_free_compile_error(error);
    if (which >= 0 && static_cast<std::size_t>(which) < patterns.size()) {
      return fail("{}: Hyperscan cannot compile the pattern: {}", patterns[which].where, message);
    }
    return fail("Hyperscan cannot compile the {} bytes patterns: {}", patterns.size(), message);
  }
  database_ = database;
  patterns_.reserve(patterns.size());
  for (const auto& pattern : patterns) {
    patterns_.push_back({pattern.rule, static_cast<std::uint32_t>(pattern.bytes.size())});
  }
  return {};
}

Result<void> BytesMatcher::prepare(hs_scratch** scratch) const {
  if (!database_) return {};
  if (hs_alloc_scratch(database_, scratch) != HS_SUCCESS) {
    return fail("Hyperscan cannot allocate scratch space");
  }
  return {};
}

bool BytesMatcher::scan(std::span<const std::uint8_t> data, hs_scratch* scratch, BytesHitFn on_hit,
                        void* context) const {
  if (!database_ || data.empty()) return true;
  if (!scratch || data.size() > std::numeric_limits<unsigned>::max()) return false;
  struct State {
    const std::vector<Info>* patterns;
    BytesHitFn on_hit;
    void* context;
  } state{&patterns_, on_hit, context};
  const auto on_event = [](unsigned id, unsigned long long, unsigned long long to, unsigned,
                           void* raw) -> int {
    const auto& s = *static_cast<State*>(raw);
    const Info& info = (*s.patterns)[id];
    const BytesHit hit{info.rule, id, static_cast<std::uint32_t>(to - info.length),
                       static_cast<std::uint32_t>(to)};
    return s.on_hit(s.context, hit) ? 0 : 1;
  };
  const hs_error_t status =
      hs_scan(database_, reinterpret_cast<const char*>(data.data()),
              static_cast<unsigned>(data.size()), 0, scratch, on_event, &state);
  return status == HS_SUCCESS || status == HS_SCAN_TERMINATED;
}

std::size_t BytesMatcher::memory_bytes() const {
  std::size_t size = 0;
  if (database_) hs_database_size(database_, &size);
  return size + patterns_.capacity() * sizeof(Info);
}

}  // namespace mamori::sieve
