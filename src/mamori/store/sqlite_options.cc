#include "mamori/store/sqlite_options.h"

#include <charconv>

namespace mamori::store {
namespace {

Result<std::size_t> parse_count(std::string_view key, std::string_view text, std::size_t max) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 1 || value > max) {
    return fail("store URL option '{}' must be a number 1..{}", key, max);
  }
  return value;
}

Result<void> apply_option(SqliteOptions& options, std::string_view key, std::string_view value) {
  if (key == "mode" && (value == "ro" || value == "rw")) {
    options.read_only = value == "ro";
  } else if (key == "sync" && (value == "normal" || value == "full")) {
    options.synchronous_full = value == "full";
  } else if (key == "batch") {
    auto count = parse_count(key, value, kMaxBatchSize);
    if (!count) return fail(count.error());
    options.batch_size = *count;
  } else if (key == "cache_mb") {
    auto count = parse_count(key, value, 65536);
    if (!count) return fail(count.error());
    options.cache_mib = *count;
  } else if (key == "busy_ms") {
    auto count = parse_count(key, value, 3'600'000);
    if (!count) return fail(count.error());
    options.busy_timeout_ms = static_cast<int>(*count);
  } else {
    return fail(
        "unknown or invalid sqlite store option '{}' (use mode=rw|ro, sync=normal|full, "
        "batch=N, cache_mb=N, busy_ms=N)",
        key);
  }
  return {};
}

}  // namespace

Result<SqliteOptions> parse_sqlite_url(std::string_view rest) {
  SqliteOptions options;
  const auto question = rest.find('?');
  options.path = std::string(rest.substr(0, question));
  if (options.path.empty()) return fail("sqlite store URL needs a path: sqlite:PATH");
  std::string_view query = question == std::string_view::npos ? "" : rest.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos) {
      return fail("sqlite store option '{}' needs a value (key=value)", pair);
    }
    if (auto ok = apply_option(options, pair.substr(0, equals), pair.substr(equals + 1)); !ok) {
      return fail(ok.error());
    }
  }
  return options;
}

Result<SqliteOptions> parse_store_url(std::string_view url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.starts_with(kSqlite)) return parse_sqlite_url(url.substr(kSqlite.size()));
  if (url.starts_with("postgres:") || url.starts_with("postgresql:")) {
    return fail(
        "store URL: the PostgreSQL backend is reserved for the central deployment and "
        "not built yet; use sqlite:PATH");
  }
  const auto colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 16) {
    return fail("store URL has no scheme; use sqlite:PATH (or sqlite::memory:)");
  }
  return fail("store URL scheme '{}:' is unknown; use sqlite:PATH (or sqlite::memory:)",
              url.substr(0, colon));
}

}  // namespace mamori::store
