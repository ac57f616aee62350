#include "mamori/transport/transport_url.h"

#include <charconv>
#include <limits>
#include <map>
#include <optional>

namespace mamori::transport {
namespace {

using Params = std::map<std::string, std::string, std::less<>>;

struct SplitUrl {
  NatsTarget target;
  Params params;
};

// Servers and the query; every server is nats://HOST:PORT with a port in 1..65535.
Result<SplitUrl> split_url(std::string_view url) {
  SplitUrl out;
  const std::size_t question = url.find('?');
  std::string_view servers = url.substr(0, question);
  if (servers.empty()) return fail("nats URL: no server (expected nats://HOST:PORT)");
  while (!servers.empty()) {
    const std::size_t comma = servers.find(',');
    const std::string_view server = servers.substr(0, comma);
    servers = comma == std::string_view::npos ? std::string_view{} : servers.substr(comma + 1);
    constexpr std::string_view kScheme = "nats://";
    if (!server.starts_with(kScheme)) {
      return fail("nats URL: server {} does not start with nats://", out.target.servers.size() + 1);
    }
    const std::string_view host_port = server.substr(kScheme.size());
    const std::size_t colon = host_port.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail("nats URL: server {} is not nats://HOST:PORT", out.target.servers.size() + 1);
    }
    const std::string_view port_text = host_port.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return fail("nats URL: server {} has no valid port (1..65535)",
                  out.target.servers.size() + 1);
    }
    out.target.servers.emplace_back(server);
  }
  if (question == std::string_view::npos) return out;
  std::string_view query = url.substr(question + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return fail("nats URL: query part '{}' is not name=value",
                  eq == 0 ? std::string_view{"=..."} : pair.substr(0, 32));
    }
    const std::string name(pair.substr(0, eq));
    if (out.params.contains(name)) return fail("nats URL: parameter '{}' given twice", name);
    out.params.emplace(name, std::string(pair.substr(eq + 1)));
  }
  return out;
}

// Removes and returns parameter `name`.
std::optional<std::string> take(Params& params, std::string_view name) {
  const auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  std::string value = std::move(it->second);
  params.erase(it);
  return value;
}

template <class T>
Result<void> take_number(Params& params, std::string_view name, T& out, T min, T max) {
  const auto value = take(params, name);
  if (!value) return {};
  T parsed{};
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), parsed);
  if (ec != std::errc{} || end != value->data() + value->size() || parsed < min || parsed > max) {
    return fail("nats URL: parameter '{}' must be an integer from {} to {}", name, min, max);
  }
  out = parsed;
  return {};
}

Result<void> take_name(Params& params, std::string_view name, std::string& out) {
  if (auto value = take(params, name)) {
    if (value->empty()) return fail("nats URL: parameter '{}' is empty", name);
    for (const char c : *value) {
      if (c <= ' ' || c == '*' || c == '>' || c == 0x7f) {
        return fail("nats URL: parameter '{}' contains a space, control character, '*' or '>'",
                    name);
      }
    }
    out = std::move(*value);
  }
  return {};
}

Result<void> no_leftovers(const Params& params) {
  if (params.empty()) return {};
  return fail("nats URL: unknown parameter '{}'", params.begin()->first);
}

Result<void> take_target(Params& params, NatsTarget& target) {
  if (auto ok = take_name(params, "stream", target.stream); !ok) return ok;
  if (target.stream.find('.') != std::string::npos) {
    return fail("nats URL: parameter 'stream' must not contain '.'");
  }
  return take_name(params, "subject", target.subject);
}

}  // namespace

Result<PublisherOptions> parse_publisher_url(std::string_view url) {
  auto split = split_url(url);
  if (!split) return fail(split.error());
  PublisherOptions options;
  options.nats = std::move(split->target);
  Params& params = split->params;
  if (auto ok = take_target(params, options.nats); !ok) return fail(ok.error());
  auto spool = take(params, "spool");
  if (!spool || spool->empty())
    return fail("nats URL: parameter 'spool' (a directory) is required");
  options.spool_dir = std::move(*spool);
  auto key = take(params, "spool_key");
  if (!key || key->empty()) {
    return fail("nats URL: parameter 'spool_key' (the spool's key file) is required");
  }
  options.spool_key = std::move(*key);
  std::uint64_t max_mb = options.spool_max_bytes >> 20;
  if (auto ok = take_number<std::uint64_t>(params, "spool_max_mb", max_mb, 1, 1 << 24); !ok) {
    return fail(ok.error());
  }
  options.spool_max_bytes = max_mb << 20;
  if (auto ok = take_number<std::size_t>(params, "batch", options.batch_records, 1, 100'000); !ok) {
    return fail(ok.error());
  }
  std::size_t batch_kb = options.batch_bytes >> 10;
  if (auto ok = take_number<std::size_t>(params, "batch_kb", batch_kb, 16, 8192); !ok) {
    return fail(ok.error());
  }
  options.batch_bytes = batch_kb << 10;
  if (auto ok =
          take_number<std::int64_t>(params, "ack_timeout_ms", options.ack_timeout_ms, 10, 600'000);
      !ok) {
    return fail(ok.error());
  }
  if (auto ok = no_leftovers(params); !ok) return fail(ok.error());
  return options;
}

Result<ConsumerOptions> parse_consumer_url(std::string_view url) {
  auto split = split_url(url);
  if (!split) return fail(split.error());
  ConsumerOptions options;
  options.nats = std::move(split->target);
  Params& params = split->params;
  if (auto ok = take_target(params, options.nats); !ok) return fail(ok.error());
  if (auto ok = take_name(params, "durable", options.durable); !ok) return fail(ok.error());
  if (options.durable.find('.') != std::string::npos) {
    return fail("nats URL: parameter 'durable' must not contain '.'");
  }
  if (auto ok = take_number(params, "replicas", options.replicas, 1, 5); !ok) {
    return fail(ok.error());
  }
  if (auto ok = take_number<std::int64_t>(params, "dup_window_s", options.dup_window_s, 1,
                                          std::int64_t{7} * 86400);
      !ok) {
    return fail(ok.error());
  }
  if (auto ok = take_number(params, "fetch", options.fetch, 1, 10'000); !ok) {
    return fail(ok.error());
  }
  if (auto ok = take_number<std::int64_t>(params, "fetch_timeout_ms", options.fetch_timeout_ms, 10,
                                          600'000);
      !ok) {
    return fail(ok.error());
  }
  if (auto ok = take_number<std::int64_t>(params, "ack_wait_s", options.ack_wait_s, 1, 86400);
      !ok) {
    return fail(ok.error());
  }
  if (auto ok = take_number<std::int64_t>(params, "connect_timeout_ms", options.connect_timeout_ms,
                                          10, 600'000);
      !ok) {
    return fail(ok.error());
  }
  if (auto ok = no_leftovers(params); !ok) return fail(ok.error());
  return options;
}

}  // namespace mamori::transport
