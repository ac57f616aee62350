#include "mamori/synth/detection.h"

#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>

#include "mamori/synth/attacks.h"
#include "mamori/synth/recipes.h"

namespace mamori::synth {
namespace {

using Events = std::vector<std::pair<Timestamp, ScheduledScenario::Maker>>;

// VPS and hosting ranges (address_plan.cc, Pool::foreign_hosting): C2 servers, scanners and
// open reflectors sit here.
constexpr std::string_view kHosting[] = {"5.9.0.0/16",     "78.46.0.0/15", "176.9.0.0/16",
                                         "5.79.64.0/18",   "85.17.0.0/16", "95.163.0.0/17",
                                         "223.4.0.0/14",   "45.32.0.0/16", "139.59.0.0/16",
                                         "163.172.0.0/20", "177.0.0.0/17"};
constexpr std::string_view kScanTargets = "219.94.128.0/17";  // Pool::jp_scan_target
constexpr std::string_view kVictimNet = "1.0.16.0/24";        // Pool::jp_victim
constexpr std::string_view kJpResolvers = "202.32.0.0/15";    // Pool::jp_resolvers

constexpr std::string_view kSyllables[] = {"sora", "hana", "kumo", "yama",  "umi",  "kaze",
                                           "mori", "nami", "yuki", "hoshi", "kawa", "aoi"};
constexpr std::string_view kWords[] = {"sync", "cloud", "data", "edge",  "node",
                                       "api",  "cdn",   "net",  "stack", "link"};

constexpr std::int64_t kSecond = 1'000'000'000;

// Nanoseconds as seconds, for the truth's parameters.
double seconds_of(std::int64_t nanos) { return static_cast<double>(nanos) / 1e9; }

// Hosts drawn from ranges and pools, never twice.
class Picker {
 public:
  Picker(const AddressPlan& plan, std::uint64_t seed) : plan_(plan), rng_(seed) {}
  IpAddress in(std::string_view range) {
    const Prefix prefix = *Prefix::parse(range);
    for (;;) {
      const std::uint64_t index = rng_.next();
      const std::uint64_t salt = rng_.next();
      const IpAddress address = AddressPlan::host_in(prefix, index, salt);
      if (used_.insert(address).second) return address;
    }
  }
  IpAddress in_pool(Pool pool) {
    for (;;) {
      const std::uint64_t index = rng_.next();
      const std::uint64_t salt = rng_.next();
      const IpAddress address = plan_.host(pool, index, salt);
      if (used_.insert(address).second) return address;
    }
  }
  IpAddress hosting() { return in(kHosting[rng_.below(std::size(kHosting))]); }
  // A /24 of a hosting range none of whose hosts was picked yet.
  Prefix hosting_net() {
    for (;;) {
      const Prefix range = *Prefix::parse(kHosting[rng_.below(std::size(kHosting))]);
      const std::uint64_t index = rng_.next();
      const std::uint64_t salt = rng_.next();
      const Prefix net(AddressPlan::host_in(range, index, salt), 24);
      const bool clean = std::none_of(used_.begin(), used_.end(), [&](const IpAddress& a) {
        return prefix_contains(net, a) && a != net.address();
      });
      if (clean) return net;
    }
  }
  bool claim(const IpAddress& address) { return used_.insert(address).second; }

 private:
  const AddressPlan& plan_;
  Rng rng_;
  std::set<IpAddress> used_;
};

std::string pick_word(Rng& rng, std::span<const std::string_view> words) {
  return std::string(words[rng.below(words.size())]);
}

// "<word>.<syllable><word>.example.<tld>"
std::string host_name(Rng& rng, std::string_view tld);

std::string site_name(Rng& rng, std::string_view tld) {
  const std::string first = pick_word(rng, kSyllables);
  const std::string second = pick_word(rng, kWords);
  return fmt::format("{}{}.example.{}", first, second, tld);
}

std::string host_name(Rng& rng, std::string_view tld) {
  const std::string label = pick_word(rng, kWords);
  const std::string site = site_name(rng, tld);
  return label + "." + site;
}

// Shared state of the generators of one run.
struct Setup {
  const SynthContext& ctx;
  ActorBook& book;
  Rng rng;
  Picker pick;
  Timestamp start;
  Timestamp end;
  std::int64_t span = 0;  // ns

  Timestamp at(std::int64_t per_mille) const { return start + Duration{span / 1000 * per_mille}; }
  // A start so that an activity of `length` ends before the capture does (5 % margin).
  Timestamp start_for(Duration length) {
    const std::int64_t room = std::max<std::int64_t>(0, span * 95 / 100 - length.nanos);
    const std::int64_t lo = span / 40;
    if (room <= lo) return start + Duration{room};
    const auto offset =
        static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(room - lo + 1)));
    return start + Duration{lo + offset};
  }
};

// Source ports of a host that sends many datagrams: random-looking, but no 5-tuple repeats
// within 64512 flows, so that each generated flow is one flow in any flow table.
std::uint16_t spread_port(std::uint64_t base, std::uint64_t index) {
  return static_cast<std::uint16_t>(1024 + (base + index * 7919) % 64512);
}

std::uint64_t mix64(std::uint64_t a, std::uint64_t b) {
  std::uint64_t state = a ^ (b * 0x9e3779b97f4a7c15ULL);
  return splitmix64(state);
}

std::uint64_t address_hash(const IpAddress& address) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto b : address.bytes()) h = (h ^ b) * 0x100000001b3ULL;
  return h;
}

// ---------------------------------------------------------------------------------------------
// C2 beaconing

struct Campaign {
  enum class Kind : std::uint8_t { tls, raw, http };
  std::string name;
  Kind kind = Kind::tls;
  TlsProfile profile = TlsProfile::chrome;
  std::string name_seen;  // SNI or HTTP Host; "" = TLS without SNI
  std::uint16_t port = 443;
  std::vector<IpAddress> bots;
  std::vector<IpAddress> servers;
  std::optional<Prefix> network;  // hopping campaigns
  std::int64_t period = 60 * kSecond;
  std::uint32_t jitter_per_mille = 100;
  std::uint32_t dwell = 0;  // beacons per server before moving on; 0: no hopping
  std::array<std::uint8_t, 4> magic{};
};

MadeFlow beacon_flow(const SynthContext& ctx, const Campaign& c, Rng& r, const IpAddress& bot,
                     const IpAddress& server, Timestamp at) {
  const std::uint16_t port = ephemeral_port(r);
  const FlowPath path = make_path(ctx, r, bot, port, server, c.port);
  switch (c.kind) {
    case Campaign::Kind::tls: {
      TlsSession session;
      session.profile = c.profile;
      session.sni = c.name_seen;
      const auto request = static_cast<std::uint64_t>(r.between(150, 420));
      const auto response = static_cast<std::uint64_t>(r.between(60, 700));
      session.exchanges = {{request, response}};
      session.server_flight = static_cast<std::uint64_t>(r.between(700, 1200));
      return tls_flow(ctx, r, path, at, session, {});
    }
    case Campaign::Kind::raw: {
      const auto frame = [&](std::size_t body) {
        std::vector<std::uint8_t> out(c.magic.begin(), c.magic.end());
        out.push_back(static_cast<std::uint8_t>(body >> 8));
        out.push_back(static_cast<std::uint8_t>(body));
        const std::size_t at_body = out.size();
        out.resize(at_body + body);
        r.fill(std::span(out).subspan(at_body));
        return out;
      };
      const auto up = static_cast<std::size_t>(r.between(24, 120));
      const auto down = static_cast<std::size_t>(r.between(16, 300));
      std::vector<Message> messages;
      messages.push_back({Side::client, frame(up), 0, FillKind::random, {}});
      messages.push_back({Side::server, frame(down), 0, FillKind::random, Duration::millis(4)});
      return tcp_flow(ctx, r, path, at, std::move(messages), TcpClosing::client_fin, {});
    }
    case Campaign::Kind::http:
      break;
  }
  HttpExchange exchange;
  exchange.request.host = c.name_seen;
  exchange.request.user_agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)";
  exchange.request.target =
      fmt::format("/api/v1/poll?id={:08x}", static_cast<std::uint32_t>(address_hash(bot)));
  exchange.response.content_type = "application/json";
  exchange.response.server = "nginx";
  exchange.response.body = R"({"status":"idle"})";
  return http_flow(ctx, r, path, at, {std::move(exchange)}, {});
}

void add_campaign(Setup& s, const std::shared_ptr<const Campaign>& campaign, Events& events) {
  const Campaign& c = *campaign;
  const NamedValues params = {{"period_s", seconds_of(c.period)},
                              {"jitter_per_mille", c.jitter_per_mille},
                              {"dwell", c.dwell},
                              {"bots", static_cast<double>(c.bots.size())},
                              {"servers", static_cast<double>(c.servers.size())},
                              {"port", c.port}};
  std::vector<std::uint32_t> c2(c.servers.size());
  for (std::size_t i = 0; i < c.servers.size(); ++i) {
    ActorSpec spec{"c2", c.name, "", "c2", {}, params};
    spec.subject.address = c.servers[i];
    spec.subject.network = c.network;
    c2[i] = s.book.add(std::move(spec));
  }
  const std::int64_t spread = c.period / 1000 * c.jitter_per_mille;
  for (std::size_t b = 0; b < c.bots.size(); ++b) {
    const IpAddress bot = c.bots[b];
    // Infected at different times early in the capture, then beaconing until its end.
    const auto infected =
        static_cast<std::int64_t>(s.rng.below(static_cast<std::uint64_t>(s.span / 8)));
    const auto phase = static_cast<std::int64_t>(s.rng.below(static_cast<std::uint64_t>(c.period)));
    Timestamp t = s.start + Duration{infected + phase};
    std::size_t server = b % c.servers.size();
    std::uint32_t count = 0;
    while (t < s.end) {
      // Hop to the next host of the network, unless a full stay no longer fits.
      if (c.dwell > 0 && count == c.dwell &&
          (s.end - t).nanos > c.period * static_cast<std::int64_t>(c.dwell) * 5 / 4) {
        server = (server + 1) % c.servers.size();
        count = 0;
      }
      ActorSpec pair{"beacon", c.name, "", "", {}, params};
      pair.subject.client = bot;
      pair.subject.server = c.servers[server];
      pair.subject.port = c.port;
      pair.subject.protocol = 6;
      const std::vector<std::uint32_t> tags = {s.book.add(std::move(pair)), c2[server]};
      const IpAddress target = c.servers[server];
      events.emplace_back(
          t, [&ctx = s.ctx, campaign, bot, target, tags](FlowSink& sink, Rng& r, Timestamp at) {
            MadeFlow made = beacon_flow(ctx, *campaign, r, bot, target, at);
            made.facts.scenario = campaign->name;
            made.facts.attack = true;
            made.facts.actors = tags;
            sink.add(std::move(made.flow), std::move(made.facts));
          });
      ++count;
      const std::int64_t jitter = s.rng.between(-spread, spread);
      t = t + Duration{c.period + jitter};
    }
  }
}

std::vector<IpAddress> hosts(Setup& s, Pool pool, std::int64_t lo, std::int64_t hi) {
  const auto count = s.rng.between(lo, hi);
  std::vector<IpAddress> out;
  for (std::int64_t i = 0; i < count; ++i) out.push_back(s.pick.in_pool(pool));
  return out;
}

void add_beacons(Setup& s, Events& events) {
  // Periods of at most a fourteenth of the capture, so every pair has a dozen beacons or more.
  const std::int64_t longest = std::clamp<std::int64_t>(s.span / 14 / kSecond, 30, 600);
  const auto draw_period = [&](std::int64_t hi) {
    return s.rng.between(30, std::min(hi, longest)) * kSecond;
  };
  const auto draw_jitter = [&] { return static_cast<std::uint32_t>(s.rng.between(50, 150)); };
  std::vector<Campaign> campaigns;
  {
    Campaign c;
    c.name = "c2_jitter_sni";
    c.profile = s.rng.chance(500) ? TlsProfile::go : TlsProfile::chrome;
    c.name_seen = host_name(s.rng, "net");
    c.bots = hosts(s, Pool::jp_infected, 3, 5);
    c.servers = {s.pick.hosting()};
    c.period = draw_period(600);
    c.jitter_per_mille = draw_jitter();
    campaigns.push_back(std::move(c));
  }
  {
    Campaign c;
    c.name = "c2_jitter_nosni";
    c.profile = TlsProfile::implant;
    c.port = s.rng.chance(500) ? 443 : 8443;
    c.bots = hosts(s, Pool::jp_infected, 2, 4);
    c.servers = {s.pick.hosting()};
    c.period = draw_period(600);
    c.jitter_per_mille = draw_jitter();
    campaigns.push_back(std::move(c));
  }
  {
    static constexpr std::uint16_t kOddPorts[] = {1337, 4443, 5050, 6667, 8088, 9001, 31337, 50050};
    Campaign c;
    c.name = "c2_odd_port";
    c.kind = Campaign::Kind::raw;
    c.port = kOddPorts[s.rng.below(std::size(kOddPorts))];
    c.bots = hosts(s, Pool::jp_infected, 2, 3);
    c.servers = {s.pick.hosting()};
    c.period = draw_period(600);
    c.jitter_per_mille = draw_jitter();
    for (auto& b : c.magic) b = static_cast<std::uint8_t>(s.rng.next() >> 56);
    campaigns.push_back(std::move(c));
  }
  {
    Campaign c;
    c.name = "c2_http_odd_port";
    c.kind = Campaign::Kind::http;
    c.port = s.rng.chance(500) ? 8080 : 8000;
    c.name_seen = host_name(s.rng, "org");
    c.bots = hosts(s, Pool::jp_infected, 2, 3);
    c.servers = {s.pick.hosting()};
    c.period = draw_period(600);
    c.jitter_per_mille = draw_jitter();
    campaigns.push_back(std::move(c));
  }
  // Hopping across a /24: slowly (each stay is a detectable pair) and fast (no pair is).
  for (const bool fast : {false, true}) {
    Campaign c;
    c.name = fast ? "c2_hop24_fast" : "c2_hop24";
    c.profile = fast ? TlsProfile::implant : TlsProfile::firefox;
    if (!fast) c.name_seen = fmt::format("cdn.{}", site_name(s.rng, "com"));
    c.bots = hosts(s, Pool::jp_infected, fast ? 2 : 3, fast ? 4 : 5);
    const Prefix net = s.pick.hosting_net();
    c.network = net;
    const auto count = s.rng.between(fast ? 8 : 4, fast ? 12 : 8);
    const auto first = s.rng.between(2, 40);
    const auto step = s.rng.between(1, 9);
    for (std::int64_t i = 0; i < count; ++i) {
      const auto host = static_cast<std::uint32_t>(first + i * step);
      const IpAddress server = IpAddress::v4(net.address().v4_value() + host);
      s.pick.claim(server);
      c.servers.push_back(server);
    }
    c.period = draw_period(fast ? 120 : 180);
    c.jitter_per_mille = draw_jitter();
    c.dwell = static_cast<std::uint32_t>(fast ? s.rng.between(3, 5) : s.rng.between(10, 16));
    campaigns.push_back(std::move(c));
  }
  for (auto& c : campaigns) add_campaign(s, std::make_shared<const Campaign>(std::move(c)), events);
}

// ---------------------------------------------------------------------------------------------
// Scans

struct Probe {
  IpAddress target;
  std::uint16_t port = 0;
};

void add_scan(Setup& s, Events& events, const std::string& name, const IpAddress& scanner,
              std::vector<Probe> probes, const std::vector<Timestamp>& times,
              std::uint32_t alive_per_mille, std::uint32_t open_per_mille, NamedValues params) {
  ActorSpec spec{"scan", name, "", "", {}, std::move(params)};
  spec.subject.address = scanner;
  const std::uint32_t tag = s.book.add(std::move(spec));
  // masscan/zmap style: one source port per scanner.
  const auto source_port = static_cast<std::uint16_t>(s.rng.between(40000, 60000));
  const std::uint64_t salt = s.ctx.seed ^ hash_label(name);
  for (std::size_t i = 0; i < probes.size() && i < times.size(); ++i) {
    if (times[i] >= s.end) break;
    const Probe probe = probes[i];
    const std::uint64_t h = mix64(address_hash(probe.target), salt);
    const bool alive = h % 1000 < alive_per_mille;
    const bool open = alive && (mix64(h, probe.port) % 1000) < open_per_mille;
    const TcpOpening opening = !alive
                                   ? TcpOpening::syn_unanswered
                                   : (open ? TcpOpening::syn_accept_reset : TcpOpening::syn_reset);
    events.emplace_back(times[i], [&ctx = s.ctx, name, scanner, source_port, probe, opening, tag](
                                      FlowSink& sink, Rng& r, Timestamp at) {
      TcpSpec spec;
      spec.path = make_path(ctx, r, scanner, source_port, probe.target, probe.port);
      spec.path.vlan = 0;
      spec.start = at;
      spec.seed = r.next();
      spec.scanner_syn = true;
      spec.timestamps = false;
      spec.closing = TcpClosing::none;
      spec.opening = opening;
      FlowFacts facts;
      facts.scenario = name;
      facts.attack = true;
      facts.protocol = 6;
      facts.client = scanner;
      facts.client_port = source_port;
      facts.server = probe.target;
      facts.server_port = probe.port;
      facts.start = at;
      facts.actors = {tag};
      sink.add(std::make_unique<TcpFlow>(std::move(spec), ctx.fill), std::move(facts));
    });
  }
}

// Times of `count` probes: Poisson at `per_second`, or paced (±30 %) every `interval`.
std::vector<Timestamp> poisson_times(Setup& s, Timestamp start, std::size_t count,
                                     std::int64_t per_second) {
  std::vector<Timestamp> out;
  Timestamp t = start;
  const std::int64_t mean = kSecond / std::max<std::int64_t>(1, per_second);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(t);
    t = t + Duration{std::max<std::int64_t>(1000, s.rng.exponential(mean))};
  }
  return out;
}

std::vector<Timestamp> paced_times(Setup& s, Timestamp start, std::size_t count,
                                   std::int64_t interval) {
  std::vector<Timestamp> out;
  Timestamp t = start;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(t);
    t = t + Duration{interval + s.rng.between(-interval * 3 / 10, interval * 3 / 10)};
  }
  return out;
}

void add_scans(Setup& s, Events& events) {
  static constexpr std::uint16_t kPorts[] = {22, 23, 80, 443, 445, 3389, 8080, 5900, 3306, 6379};
  const auto ports = [&](std::int64_t count) {
    std::vector<std::uint16_t> list(std::begin(kPorts), std::end(kPorts));
    for (std::size_t i = list.size(); i > 1; --i) std::swap(list[i - 1], list[s.rng.below(i)]);
    list.resize(static_cast<std::size_t>(count));
    return list;
  };
  // Fast: every host of a domestic /24 on a few ports at 3..20 probes/s.
  const auto fast_count = s.rng.between(1, 2);
  for (std::int64_t k = 0; k < fast_count; ++k) {
    const std::string name = "scan_fast";
    const IpAddress scanner = s.pick.hosting();
    const Prefix net(s.pick.in(kScanTargets), 24);
    const auto port_list = ports(s.rng.between(1, 3));
    std::vector<Probe> probes;
    for (std::uint32_t h = 1; h < 255; ++h) {
      for (const auto port : port_list) {
        probes.push_back({IpAddress::v4(net.address().v4_value() + h), port});
      }
    }
    for (std::size_t i = probes.size(); i > 1; --i)
      std::swap(probes[i - 1], probes[s.rng.below(i)]);
    const auto rate = s.rng.between(3, 20);
    const Timestamp start =
        s.start_for(Duration{static_cast<std::int64_t>(probes.size()) * 2 * kSecond / rate});
    const auto alive = static_cast<std::uint32_t>(s.rng.between(100, 220));
    const auto open = static_cast<std::uint32_t>(s.rng.between(200, 400));
    const auto times = poisson_times(s, start, probes.size(), rate);
    add_scan(s, events, name, scanner, std::move(probes), times, alive, open,
             {{"probes_per_second", static_cast<double>(rate)},
              {"targets", static_cast<double>(254 * port_list.size())},
              {"ports", static_cast<double>(port_list.size())}});
  }
  // A worm on an infected domestic host: random foreign addresses, one port, 2..6 probes/s.
  {
    const IpAddress scanner = s.pick.in_pool(Pool::jp_infected);
    const std::uint16_t port = s.rng.chance(600) ? 445 : 23;
    const auto count = s.rng.between(300, 600);
    std::vector<Probe> probes;
    for (std::int64_t i = 0; i < count; ++i)
      probes.push_back({s.pick.in_pool(Pool::foreign_clients), port});
    const auto rate = s.rng.between(2, 6);
    const Timestamp start = s.start_for(Duration{count * 2 * kSecond / rate});
    const auto times = poisson_times(s, start, probes.size(), rate);
    add_scan(s, events, "scan_worm", scanner, std::move(probes), times, 60, 300,
             {{"probes_per_second", static_cast<double>(rate)},
              {"targets", static_cast<double>(count)},
              {"ports", 1}});
  }
  // Low and slow: 100..140 targets per 5 min over 20..40 min (caught), and 12..30 per 5 min
  // over 40..60 min (not caught: well below 64 distinct targets in any 5 min).
  for (const bool stealth : {false, true, true}) {
    const std::int64_t minutes_hi = std::max<std::int64_t>(2, s.span / kSecond / 60 * 8 / 10);
    const auto minutes =
        std::min(minutes_hi, stealth ? s.rng.between(40, 60) : s.rng.between(20, 40));
    const auto per_5min = stealth ? s.rng.between(12, 30) : s.rng.between(100, 140);
    const std::int64_t count = per_5min * minutes / 5;
    const IpAddress scanner = s.pick.hosting();
    const auto port_list = ports(stealth ? s.rng.between(1, 2) : 1);
    std::vector<Probe> probes;
    for (std::int64_t i = 0; i < count; ++i) {
      const IpAddress target =
          s.rng.chance(500) ? s.pick.in(kScanTargets) : s.pick.in_pool(Pool::jp_clients);
      probes.push_back({target, port_list[static_cast<std::size_t>(i) % port_list.size()]});
    }
    const Timestamp start = s.start_for(Duration::seconds(minutes * 60));
    const auto times = paced_times(s, start, probes.size(), 300 * kSecond / per_5min);
    add_scan(s, events, stealth ? "scan_stealth" : "scan_slow", scanner, std::move(probes), times,
             150, 300,
             {{"targets_per_5min", static_cast<double>(per_5min)},
              {"minutes", static_cast<double>(minutes)},
              {"targets", static_cast<double>(count)},
              {"ports", static_cast<double>(port_list.size())}});
  }
}

// ---------------------------------------------------------------------------------------------
// Reflection amplification

enum class Reflection : std::uint8_t { dns, ntp, memcached, ssdp };

struct Attack {
  std::string name;
  Reflection protocol = Reflection::dns;
  IpAddress victim;
  std::vector<IpAddress> reflectors;
  std::uint32_t visible_per_mille = 0;  // spoofed requests that cross the link
};

std::uint16_t service_port(Reflection p) {
  switch (p) {
    case Reflection::dns:
      return 53;
    case Reflection::ntp:
      return 123;
    case Reflection::memcached:
      return 11211;
    case Reflection::ssdp:
      return 1900;
  }
  return 0;
}

// Average response bytes (UDP payload) per request, to pace requests to a byte rate.
std::int64_t response_per_request(Reflection p) {
  switch (p) {
    case Reflection::dns:
      return 1300;
    case Reflection::ntp:
      return std::int64_t{18} * 440;
    case Reflection::memcached:
      return std::int64_t{40} * 1408;  // 30..50 datagrams
    case Reflection::ssdp:
      return std::int64_t{7} * 310;
  }
  return 1;
}

std::vector<std::uint8_t> text_bytes(std::string_view text) { return {text.begin(), text.end()}; }

// The request (head) and the reflector's response datagrams of one reflection.
void reflection(const Attack& a, Rng& r, std::vector<std::uint8_t>& request,
                std::vector<Datagram>& responses, std::vector<std::string>& names) {
  switch (a.protocol) {
    case Reflection::dns: {
      static constexpr std::string_view kZones[] = {
          "big-zone.example.com", "txt-records.example.org", "dnssec-test.example.com"};
      const std::string_view zone = kZones[r.below(std::size(kZones))];
      const std::uint16_t type = r.chance(600) ? dns_type::any : dns_type::txt;
      const auto id = r.next16();
      write_dns_query(request, id, zone, type, {});
      Datagram d;
      d.from = Side::server;
      const auto size = static_cast<std::size_t>(r.between(1150, 1450));
      write_dns_amplified_response(d.head, id, zone, type, size, r);
      responses.push_back(std::move(d));
      names.emplace_back(zone);
      return;
    }
    case Reflection::ntp: {
      // Mode 7 MON_GETLIST_1 (monlist): implementation 3, request code 42.
      request = {0x17, 0x00, 0x03, 0x2a, 0x00, 0x00, 0x00, 0x00};
      const auto count = r.between(6, 30);
      for (std::int64_t i = 0; i < count; ++i) {
        Datagram d;
        d.from = Side::server;
        const bool more = i + 1 < count;
        d.head = {static_cast<std::uint8_t>(more ? 0xd7 : 0x97),
                  static_cast<std::uint8_t>(i),
                  0x03,
                  0x2a,
                  0x00,
                  0x06,
                  0x00,
                  0x48};
        d.fill = 6 * 72;  // six mon entries of 72 bytes
        d.after = Duration{r.between(100'000, 900'000)};
        responses.push_back(std::move(d));
      }
      return;
    }
    case Reflection::memcached: {
      const auto id = r.next16();
      const auto key = fmt::format("k{:x}", r.next32());
      const auto frame_header = [&](std::uint16_t seq, std::uint16_t total) {
        return std::vector<std::uint8_t>{static_cast<std::uint8_t>(id >> 8),
                                         static_cast<std::uint8_t>(id),
                                         static_cast<std::uint8_t>(seq >> 8),
                                         static_cast<std::uint8_t>(seq),
                                         static_cast<std::uint8_t>(total >> 8),
                                         static_cast<std::uint8_t>(total),
                                         0,
                                         0};
      };
      request = frame_header(0, 1);
      const auto command = fmt::format("get {}\r\n", key);
      request.insert(request.end(), command.begin(), command.end());
      const auto count = static_cast<std::uint16_t>(r.between(30, 50));
      for (std::uint16_t i = 0; i < count; ++i) {
        Datagram d;
        d.from = Side::server;
        d.head = frame_header(i, count);
        if (i == 0) {
          const auto value = fmt::format("VALUE {} 0 {}\r\n", key, count * 1400);
          d.head.insert(d.head.end(), value.begin(), value.end());
        }
        d.fill = static_cast<std::uint32_t>(1408 - d.head.size());
        d.after = Duration{r.between(20'000, 200'000)};
        responses.push_back(std::move(d));
      }
      return;
    }
    case Reflection::ssdp: {
      request = text_bytes(
          "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n"
          "MX: 1\r\nST: ssdp:all\r\n\r\n");
      static constexpr std::string_view kTypes[] = {
          "upnp:rootdevice", "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
          "urn:schemas-upnp-org:service:WANIPConnection:1",
          "urn:schemas-upnp-org:service:Layer3Forwarding:1",
          "urn:schemas-upnp-org:device:WANDevice:1"};
      const std::uint64_t high = r.next();
      const std::uint64_t low = r.next();
      const auto uuid =
          fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xffff,
                      high & 0xffff, low >> 48, low & 0xffffffffffffULL);
      const auto count = r.between(4, 10);
      for (std::int64_t i = 0; i < count; ++i) {
        const std::string_view type = kTypes[static_cast<std::size_t>(i) % std::size(kTypes)];
        Datagram d;
        d.from = Side::server;
        d.head = text_bytes(fmt::format(
            "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nDATE: Sun, 01 Nov 2026 00:00:00 "
            "GMT\r\nEXT:\r\nLOCATION: http://192.168.{}.1:{}/rootDesc.xml\r\nSERVER: Linux/3.14 "
            "UPnP/1.0 miniupnpd/2.1\r\nST: {}\r\nUSN: uuid:{}::{}\r\n\r\n",
            i % 3, 1900 + i % 7 * 1000, type, uuid, type));
        d.after = Duration{r.between(200'000, 3'000'000)};
        responses.push_back(std::move(d));
      }
      return;
    }
  }
}

void add_attack(Setup& s, Events& events, const std::shared_ptr<const Attack>& attack,
                Timestamp start, Duration length, std::int64_t bytes_per_minute) {
  const Attack& a = *attack;
  ActorSpec spec{"amplification",
                 a.name,
                 "",
                 "",
                 {},
                 {{"bytes_per_minute", static_cast<double>(bytes_per_minute)},
                  {"length_s", seconds_of(length.nanos)},
                  {"reflectors", static_cast<double>(a.reflectors.size())},
                  {"visible_request_per_mille", a.visible_per_mille},
                  {"service_port", service_port(a.protocol)}}};
  spec.subject.address = a.victim;
  const std::uint32_t tag = s.book.add(std::move(spec));
  const std::int64_t mean = 60 * kSecond * response_per_request(a.protocol) / bytes_per_minute;
  const Timestamp end = std::min(s.end, start + length);
  const std::uint64_t port_base = s.rng.below(64512);
  std::size_t sent = 0;
  for (Timestamp t = start; t < end; ++sent) {
    const IpAddress reflector = a.reflectors[sent % a.reflectors.size()];
    // Spoofed requests carry random source ports (the victim's side of each flow).
    const std::uint16_t victim_port = spread_port(port_base, sent);
    events.emplace_back(t, [&ctx = s.ctx, attack, reflector, victim_port, tag](
                               FlowSink& sink, Rng& r, Timestamp at) {
      const Attack& x = *attack;
      const std::uint16_t port = service_port(x.protocol);
      FlowPath path = make_path(ctx, r, x.victim, victim_port, reflector, port);
      path.vlan = 0;
      const bool visible = r.chance(x.visible_per_mille);
      DatagramSpec spec;
      spec.path = path;
      spec.start = at;
      spec.seed = r.next();
      std::vector<std::uint8_t> request;
      std::vector<Datagram> responses;
      std::vector<std::string> names;
      reflection(x, r, request, responses, names);
      if (visible) {
        Datagram query;
        query.head = std::move(request);
        spec.datagrams.push_back(std::move(query));
        responses.front().after = path.server_rtt + responses.front().after;
      } else {
        responses.front().after = Duration{};
      }
      for (auto& d : responses) spec.datagrams.push_back(std::move(d));
      FlowFacts facts;
      facts.scenario = x.name;
      facts.attack = true;
      facts.protocol = 17;
      facts.client = x.victim;
      facts.client_port = victim_port;
      facts.server = reflector;
      facts.server_port = port;
      facts.initiator_is_server = !visible;
      facts.start = at;
      facts.dns_names = std::move(names);
      facts.actors = {tag};
      collect_payload(facts, spec.datagrams);
      sink.add(std::make_unique<DatagramFlow>(std::move(spec), ctx.fill), std::move(facts));
    });
    // Attack tools send at a steady rate.
    t = t + Duration{mean + s.rng.between(-mean * 3 / 10, mean * 3 / 10)};
  }
}

void add_amplification(Setup& s, Events& events) {
  const auto reflectors = [&](std::int64_t lo, std::int64_t hi, bool devices) {
    const auto count = s.rng.between(lo, hi);
    std::vector<IpAddress> out;
    for (std::int64_t i = 0; i < count; ++i) {
      out.push_back(devices ? s.pick.in_pool(Pool::foreign_clients) : s.pick.hosting());
    }
    return out;
  };
  struct Plan {
    const char* name;
    std::int64_t reflectors_lo, reflectors_hi;
    std::int64_t visible_hi;
    std::int64_t rate_lo, rate_hi;  // response bytes per minute
    Reflection protocol;
    bool devices;
  };
  // Memcached answers a request with ~56 kB: a higher rate keeps several requests per minute.
  static constexpr Plan kPlans[] = {
      {"amp_dns", 8, 16, 300, 300'000, 600'000, Reflection::dns, false},
      {"amp_ntp", 3, 8, 200, 300'000, 600'000, Reflection::ntp, false},
      {"amp_memcached", 2, 5, 0, 400'000, 700'000, Reflection::memcached, false},
      {"amp_ssdp", 20, 40, 500, 300'000, 600'000, Reflection::ssdp, true},
  };
  std::vector<IpAddress> victims;
  victims.push_back(s.pick.in(kVictimNet));
  victims.push_back(s.pick.in(kVictimNet));
  victims.push_back(s.pick.in_pool(Pool::jp_servers));
  victims.push_back(s.pick.in_pool(Pool::jp_clients));
  victims.push_back(s.pick.in_pool(Pool::jp_servers));
  std::size_t next_victim = 0;
  for (const auto& plan : kPlans) {
    auto attack = std::make_shared<Attack>();
    attack->name = plan.name;
    attack->protocol = plan.protocol;
    attack->victim = victims[next_victim++];
    attack->reflectors = reflectors(plan.reflectors_lo, plan.reflectors_hi, plan.devices);
    // Half the DNS and NTP attacks show no request at all.
    const bool responses_only = plan.visible_hi == 0 || s.rng.chance(500);
    const auto visible = s.rng.between(0, plan.visible_hi);
    attack->visible_per_mille = responses_only ? 0 : static_cast<std::uint32_t>(visible);
    const Duration length = Duration::seconds(s.rng.between(75, 120));
    const auto rate = s.rng.between(plan.rate_lo, plan.rate_hi);
    add_attack(s, events, attack, s.start_for(length), length, rate);
  }
  // Below the volume threshold: 10..30 kB of DNS responses per minute for 3..6 minutes.
  auto weak = std::make_shared<Attack>();
  weak->name = "amp_dns_weak";
  weak->protocol = Reflection::dns;
  weak->victim = victims[next_victim];
  weak->reflectors = reflectors(3, 6, false);
  const Duration length = Duration::seconds(s.rng.between(180, 360));
  const auto rate = s.rng.between(10'000, 30'000);
  add_attack(s, events, weak, s.start_for(length), length, rate);
}

// ---------------------------------------------------------------------------------------------
// Benign decoys

// NTP timestamp (RFC 5905: seconds since 1900 and a 32-bit fraction).
void put_ntp_time(std::vector<std::uint8_t>& out, std::size_t at, Timestamp t) {
  const auto seconds = static_cast<std::uint64_t>(t.nanos / kSecond) + 2'208'988'800ULL;
  const auto fraction = static_cast<std::uint64_t>(t.nanos % kSecond) * (1ULL << 32) /
                        static_cast<std::uint64_t>(kSecond);
  for (int i = 0; i < 4; ++i) {
    out[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(seconds >> (24 - 8 * i));
    out[at + 4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(fraction >> (24 - 8 * i));
  }
}

struct NtpClient {
  IpAddress client;
  IpAddress server;
  bool port_123 = false;  // ntpd and w32time poll from port 123; chrony, timesyncd don't
  std::uint8_t poll = 6;  // log2 of the poll interval
};

MadeFlow ntp_exchange(const SynthContext& ctx, Rng& r, const NtpClient& n, Timestamp at) {
  const std::uint16_t client_port = n.port_123 ? 123 : ephemeral_port(r);
  const FlowPath path = make_path(ctx, r, n.client, client_port, n.server, 123);
  Datagram request;
  request.head.assign(48, 0);
  request.head[0] = 0x23;  // LI 0, version 4, mode 3 (client)
  request.head[2] = n.poll;
  request.head[3] = 0xe7;  // precision 2^-25
  put_ntp_time(request.head, 40, at);
  Datagram response;
  response.from = Side::server;
  response.after = path.server_rtt + Duration{r.between(30'000, 1'500'000)};
  response.head.assign(48, 0);
  response.head[0] = 0x24;  // mode 4 (server)
  response.head[1] = 2;     // stratum
  response.head[2] = n.poll;
  response.head[3] = 0xe9;
  response.head[6] = static_cast<std::uint8_t>(r.between(0, 3));    // root delay
  response.head[10] = static_cast<std::uint8_t>(r.between(1, 40));  // root dispersion
  const std::uint32_t refid = r.next32();
  for (int i = 0; i < 4; ++i)
    response.head[12 + i] = static_cast<std::uint8_t>(refid >> (24 - 8 * i));
  const Timestamp received = at + Duration{path.server_rtt.nanos / 2};
  put_ntp_time(response.head, 16, at - Duration::seconds(r.between(16, 1000)));
  std::copy(request.head.begin() + 40, request.head.end(), response.head.begin() + 24);
  put_ntp_time(response.head, 32, received);
  put_ntp_time(response.head, 40, received + Duration{r.between(5'000, 60'000)});
  DatagramSpec spec;
  spec.path = path;
  spec.start = at;
  spec.seed = r.next();
  spec.datagrams = {std::move(request), std::move(response)};
  FlowFacts facts;
  facts.protocol = 17;
  facts.client = n.client;
  facts.client_port = client_port;
  facts.server = n.server;
  facts.server_port = 123;
  facts.start = at;
  collect_payload(facts, spec.datagrams);
  return {std::make_unique<DatagramFlow>(std::move(spec), ctx.fill), std::move(facts)};
}

// A periodic decoy pair: `make` builds one occurrence.
using DecoyMaker = std::function<MadeFlow(const SynthContext&, Rng&, Timestamp)>;

void add_periodic(Setup& s, Events& events, const std::string& scenario, const std::string& role,
                  const IpAddress& client, const IpAddress& server, std::uint16_t port,
                  std::uint8_t protocol, std::int64_t period, std::uint32_t jitter_per_ten_thousand,
                  const std::shared_ptr<const DecoyMaker>& make) {
  ActorSpec spec{
      "decoy",
      scenario,
      "beacon",
      role,
      {},
      {{"period_s", seconds_of(period)}, {"jitter_per_ten_thousand", jitter_per_ten_thousand}}};
  spec.subject.client = client;
  spec.subject.server = server;
  spec.subject.port = port;
  spec.subject.protocol = protocol;
  const std::uint32_t tag = s.book.add(std::move(spec));
  const std::int64_t spread = period / 10000 * jitter_per_ten_thousand;
  Timestamp t =
      s.start +
      Duration{static_cast<std::int64_t>(s.rng.below(static_cast<std::uint64_t>(period)))};
  while (t < s.end) {
    events.emplace_back(t,
                        [&ctx = s.ctx, scenario, tag, make](FlowSink& sink, Rng& r, Timestamp at) {
                          MadeFlow made = (*make)(ctx, r, at);
                          made.facts.scenario = scenario;
                          made.facts.decoy = true;
                          made.facts.actors = {tag};
                          sink.add(std::move(made.flow), std::move(made.facts));
                        });
    const std::int64_t jitter = s.rng.between(-spread, spread);
    t = t + Duration{period + jitter};
  }
}

// One short TLS exchange; `resumed`: TLS 1.3 resumption (no certificates in the server flight).
MadeFlow small_tls(const SynthContext& ctx, Rng& r, const IpAddress& client,
                   const IpAddress& server, std::uint16_t port, const std::string& sni,
                   TlsProfile profile, Timestamp at, std::int64_t response_hi, bool resumed) {
  const std::uint16_t source = ephemeral_port(r);
  const FlowPath path = make_path(ctx, r, client, source, server, port);
  TlsSession session;
  session.profile = profile;
  session.sni = sni;
  const auto request = static_cast<std::uint64_t>(r.between(250, 700));
  const auto response = static_cast<std::uint64_t>(r.between(200, response_hi));
  session.exchanges = {{request, response}};
  session.server_flight =
      static_cast<std::uint64_t>(resumed ? r.between(250, 500) : r.between(1200, 2400));
  return tls_flow(ctx, r, path, at, session, {});
}

void add_decoys(Setup& s, Events& events) {
  // NTP: clients polling one or two servers abroad every 2^6..2^10 s.
  {
    std::vector<IpAddress> servers(4);
    for (auto& server : servers) server = s.pick.in_pool(Pool::foreign_servers);
    const auto clients = s.rng.between(6, 10);
    for (std::int64_t c = 0; c < clients; ++c) {
      const IpAddress client = s.pick.in_pool(Pool::jp_clients);
      // ntpd: port 123, 64 s; chrony and timesyncd: ephemeral ports, 2^6 s up to a fourteenth
      // of the capture; w32time: port 123, hourly or rarer (at least a third of the capture).
      const auto style = s.rng.below(10);
      const bool port_123 = style < 3 || style == 9;
      std::uint8_t poll = 6;
      if (style >= 3 && style < 9) {
        std::int64_t max_poll = 6;
        while (max_poll < 10 && (std::int64_t{2} << max_poll) * kSecond <= s.span / 14) ++max_poll;
        poll = static_cast<std::uint8_t>(s.rng.between(6, max_poll));
      }
      std::int64_t period = (std::int64_t{1} << poll) * kSecond;
      if (style == 9) {
        poll = 12;
        period = std::max<std::int64_t>(3600 * kSecond, s.span / 3);
      }
      const auto count = s.rng.between(1, 2);
      const auto first = s.rng.below(servers.size());
      for (std::int64_t k = 0; k < count; ++k) {
        const NtpClient n{client, servers[(first + static_cast<std::size_t>(k)) % servers.size()],
                          port_123, poll};
        auto make =
            std::make_shared<const DecoyMaker>([n](const SynthContext& ctx, Rng& r, Timestamp at) {
              return ntp_exchange(ctx, r, n, at);
            });
        add_periodic(s, events, "ntp_client", "ntp", client, n.server, 123, 17, period, 50, make);
      }
    }
  }
  // Software update checks: many clients, one server, every 10..60 min.
  {
    const IpAddress server = s.pick.in_pool(Pool::foreign_servers);
    const std::string sni = fmt::format("update.{}", site_name(s.rng, "com"));
    // Frequent checkers (10 or 15 min, at most a fourteenth of the capture) are regular enough
    // for the beacon rule; hourly ones (at least a third of the capture) are not.
    static constexpr std::int64_t kPeriods[] = {600, 900, 3600, 7200};
    const auto clients = s.rng.between(20, 40);
    for (std::int64_t c = 0; c < clients; ++c) {
      const IpAddress client = s.pick.in_pool(Pool::jp_clients);
      const std::int64_t drawn = kPeriods[s.rng.below(std::size(kPeriods))] * kSecond;
      const std::int64_t period =
          drawn < 3600 * kSecond ? std::min(drawn, s.span / 14) : std::max(drawn, s.span / 3);
      const TlsProfile profile = s.rng.chance(500) ? TlsProfile::schannel : TlsProfile::go;
      auto make = std::make_shared<const DecoyMaker>(
          [client, server, sni, profile](const SynthContext& ctx, Rng& r, Timestamp at) {
            return small_tls(ctx, r, client, server, 443, sni, profile, at, 900, false);
          });
      add_periodic(s, events, "update_check", "update", client, server, 443, 6, period, 150, make);
    }
  }
  // Health checks: a monitoring host probing a few endpoints abroad every 30 or 60 s, over
  // HTTPS (resumed sessions) or plain HTTP.
  {
    const IpAddress monitor = s.pick.in_pool(Pool::jp_servers);
    const auto endpoints = s.rng.between(2, 4);
    for (std::int64_t e = 0; e < endpoints; ++e) {
      const IpAddress server = s.pick.in_pool(Pool::foreign_servers);
      const std::string host = fmt::format("status.{}", site_name(s.rng, "net"));
      const std::int64_t period = (s.rng.chance(300) ? 30 : 60) * kSecond;
      const bool https = s.rng.chance(500);
      const std::uint16_t port = https ? 443 : 8080;
      auto make = std::make_shared<const DecoyMaker>(
          [monitor, server, host, https, port](const SynthContext& ctx, Rng& r, Timestamp at) {
            if (https) {
              return small_tls(ctx, r, monitor, server, port, host, TlsProfile::curl, at, 400,
                               true);
            }
            const std::uint16_t source = ephemeral_port(r);
            const FlowPath path = make_path(ctx, r, monitor, source, server, port);
            HttpExchange exchange;
            exchange.request.host = host;
            exchange.request.target = "/healthz";
            exchange.request.user_agent = "Blackbox-Exporter/0.24.0";
            exchange.response.content_type = "application/json";
            exchange.response.body = R"({"status":"ok"})";
            return http_flow(ctx, r, path, at, {std::move(exchange)}, {});
          });
      add_periodic(s, events, "health_check", "health_check", monitor, server, port, 6, period, 20,
                   make);
    }
  }
  // A busy client (a crawler or proxy): hundreds of distinct servers within minutes, answered.
  {
    const IpAddress client = s.pick.in_pool(Pool::jp_clients);
    const auto count = s.rng.between(250, 450);
    const Duration length = Duration::seconds(s.rng.between(300, 600));
    ActorSpec spec{
        "decoy",
        "busy_client",
        "scan",
        "busy_client",
        {},
        {{"connections", static_cast<double>(count)}, {"length_s", seconds_of(length.nanos)}}};
    spec.subject.address = client;
    const std::uint32_t tag = s.book.add(std::move(spec));
    const Timestamp start = s.start_for(length);
    for (std::int64_t i = 0; i < count; ++i) {
      const IpAddress server = s.pick.in_pool(Pool::foreign_servers);
      const std::uint16_t port = s.rng.chance(700) ? 443 : 80;
      const std::string host = fmt::format("www.{}", site_name(s.rng, "com"));
      const auto roll = s.rng.below(1000);
      const Timestamp at = start + Duration{static_cast<std::int64_t>(
                                       s.rng.below(static_cast<std::uint64_t>(length.nanos)))};
      events.emplace_back(at, [&ctx = s.ctx, client, server, port, host, roll, tag](
                                  FlowSink& sink, Rng& r, Timestamp when) {
        MadeFlow made;
        if (roll < 30) {  // a dead or closed server: 3 %
          const std::uint16_t source = ephemeral_port(r);
          TcpSpec spec;
          spec.path = make_path(ctx, r, client, source, server, port);
          spec.start = when;
          spec.seed = r.next();
          spec.closing = TcpClosing::none;
          spec.opening = roll < 15 ? TcpOpening::syn_unanswered : TcpOpening::syn_reset;
          FlowFacts facts;
          facts.protocol = 6;
          facts.client = client;
          facts.client_port = source;
          facts.server = server;
          facts.server_port = port;
          facts.start = when;
          made = {std::make_unique<TcpFlow>(std::move(spec), ctx.fill), std::move(facts)};
        } else if (port == 443) {
          made =
              small_tls(ctx, r, client, server, port, host, TlsProfile::chrome, when, 3000, true);
        } else {
          const std::uint16_t source = ephemeral_port(r);
          const FlowPath path = make_path(ctx, r, client, source, server, port);
          HttpExchange exchange;
          exchange.request.host = host;
          exchange.request.target = "/robots.txt";
          exchange.request.user_agent = "Mozilla/5.0 (compatible; example-crawler/2.1)";
          exchange.response.content_type = "text/plain";
          exchange.response.body_fill = static_cast<std::uint64_t>(r.between(100, 2000));
          made = http_flow(ctx, r, path, when, {std::move(exchange)}, {});
        }
        made.facts.scenario = "busy_client";
        made.facts.decoy = true;
        made.facts.actors = {tag};
        sink.add(std::move(made.flow), std::move(made.facts));
      });
    }
  }
  // A recursive resolver asking authoritative servers abroad, 6..10 queries/s for 6..10 min:
  // plenty of response bytes, at ordinary response/request ratios (≈ 2..5).
  {
    IpAddress resolver = s.pick.in(kJpResolvers);
    for (std::uint64_t i = 0; i < 4; ++i) {
      if (resolver == domestic_resolver(s.ctx, i)) resolver = s.pick.in(kJpResolvers);
    }
    std::vector<IpAddress> servers;
    const auto server_count = s.rng.between(30, 45);
    for (std::int64_t i = 0; i < server_count; ++i) {
      servers.push_back(s.rng.chance(500) ? s.pick.in_pool(Pool::foreign_servers)
                                          : s.pick.hosting());
    }
    const auto rate = s.rng.between(6, 10);
    const Duration length = Duration::seconds(s.rng.between(360, 600));
    ActorSpec spec{"decoy",
                   "dns_resolver",
                   "amplification",
                   "resolver",
                   {},
                   {{"queries_per_second", static_cast<double>(rate)},
                    {"length_s", seconds_of(length.nanos)},
                    {"servers", static_cast<double>(server_count)}}};
    spec.subject.address = resolver;
    const std::uint32_t tag = s.book.add(std::move(spec));
    const Timestamp start = s.start_for(length);
    const std::uint64_t port_base = s.rng.below(64512);
    std::uint64_t sent = 0;
    for (const Timestamp t :
         poisson_times(s, start, static_cast<std::size_t>(rate * length.nanos / kSecond), rate)) {
      const IpAddress server = servers[s.rng.below(servers.size())];
      std::string name = host_name(s.rng, "com");
      // Resolvers randomize source ports (RFC 5452); never twice toward one server here.
      const std::uint16_t source = spread_port(port_base, sent++);
      events.emplace_back(t, [&ctx = s.ctx, resolver, server, name, source, tag](
                                 FlowSink& sink, Rng& r, Timestamp at) {
        const FlowPath path = make_path(ctx, r, resolver, source, server, 53);
        const auto roll = r.below(100);
        DatagramSpec spec;
        spec.path = path;
        spec.start = at;
        spec.seed = r.next();
        const auto id = r.next16();
        Datagram query;
        Datagram response;
        response.from = Side::server;
        response.after = path.server_rtt + Duration{r.between(100'000, 5'000'000)};
        if (roll < 12) {  // DNSSEC-signed answers (RRSIG, DNSKEY) are large
          write_dns_query(query.head, id, name, dns_type::txt, {});
          const auto size = static_cast<std::size_t>(r.between(500, 1200));
          write_dns_amplified_response(response.head, id, name, dns_type::txt, size, r);
        } else {
          const std::uint16_t type = roll < 70 ? dns_type::a : dns_type::aaaa;
          DnsLookup lookup{name, type, {}};
          const auto count = r.between(1, 4);
          for (std::int64_t i = 0; i < count; ++i) {
            const std::uint32_t value = r.next32();
            lookup.answer.addresses.push_back(
                type == dns_type::a
                    ? IpAddress::v4(value | 0x01000000u)
                    : *IpAddress::parse(fmt::format("2001:db8::{:x}", value & 0xffff)));
          }
          if (r.chance(300)) lookup.answer.cnames = {"edge." + name};
          write_dns_query(query.head, id, name, type, {});
          write_dns_response(response.head, id, name, type, lookup.answer, {}, r);
        }
        spec.datagrams = {std::move(query), std::move(response)};
        FlowFacts facts;
        facts.scenario = "dns_resolver";
        facts.decoy = true;
        facts.protocol = 17;
        facts.client = resolver;
        facts.client_port = source;
        facts.server = server;
        facts.server_port = 53;
        facts.start = at;
        facts.dns_names = {name};
        facts.actors = {tag};
        collect_payload(facts, spec.datagrams);
        sink.add(std::make_unique<DatagramFlow>(std::move(spec), ctx.fill), std::move(facts));
      });
    }
  }
}

std::string number_text(double value) {
  // Thresholds are short decimals (0.8, 10); fmt gives the shortest text that reads back.
  return fmt::format("{}", value);
}

}  // namespace

std::vector<SynthRule> detection_rules(const DetectionThresholds& t) {
  const auto seconds = [](Duration d) { return fmt::format("\"{}s\"", d.nanos / kSecond); };
  std::string ports = "[";
  for (std::size_t i = 0; i < t.amplification_ports.size(); ++i) {
    ports += fmt::format("{}{}", i ? ", " : "", t.amplification_ports[i]);
  }
  ports += "]";
  std::vector<SynthRule> rules;
  SynthRule scan{"scan-default", "scan", "Scanning at the default thresholds", {}, {}};
  scan.params = {{"min_targets", std::to_string(t.scan_min_targets)},
                 {"window", seconds(t.scan_window)},
                 {"min_failed_ratio", number_text(t.scan_min_failed_ratio)}};
  rules.push_back(std::move(scan));
  SynthRule amp{"amplification-default",
                "amplification",
                "Reflection amplification at the default thresholds",
                {},
                {}};
  amp.params = {{"ports", ports},
                {"min_ratio", number_text(t.amplification_min_ratio)},
                {"min_response_bytes", std::to_string(t.amplification_min_response_bytes)},
                {"window", seconds(t.amplification_window)}};
  rules.push_back(std::move(amp));
  SynthRule beacon{"beacon-default", "beacon", "Beaconing at the default thresholds", {}, {}};
  beacon.params = {{"min_connections", std::to_string(t.beacon_min_connections)},
                   {"max_cv", number_text(t.beacon_max_cv)},
                   {"min_interval", seconds(t.beacon_min_interval)},
                   {"max_interval", seconds(t.beacon_max_interval)}};
  rules.push_back(std::move(beacon));
  return rules;
}

std::vector<std::unique_ptr<Scenario>> make_detection_scenarios(const SynthContext& ctx,
                                                                ActorBook& book) {
  Setup s{ctx,
          book,
          Rng(ctx.seed ^ hash_label("detection")),
          Picker(ctx.plan, ctx.seed ^ hash_label("detection-addresses")),
          ctx.timing.start,
          ctx.timing.end,
          (ctx.timing.end - ctx.timing.start).nanos};
  std::vector<std::unique_ptr<Scenario>> out;
  // One stream per family: each family's schedule and flows do not depend on the others'.
  const std::pair<const char*, void (*)(Setup&, Events&)> kFamilies[] = {
      {"detection-beacons", add_beacons},
      {"detection-scans", add_scans},
      {"detection-amplification", add_amplification},
      {"detection-decoys", add_decoys},
  };
  for (const auto& [label, add] : kFamilies) {
    Events events;
    s.rng = Rng(ctx.seed ^ hash_label(label));
    add(s, events);
    std::erase_if(events, [&](const auto& e) { return e.first >= ctx.timing.end; });
    out.push_back(
        std::make_unique<ScheduledScenario>(std::move(events), ctx.seed ^ hash_label(label) ^ 1));
  }
  return out;
}

}  // namespace mamori::synth
