#include "mamori/synth/benign_mix.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "mamori/synth/attacks.h"
#include "mamori/synth/recipes.h"

namespace mamori::synth {
namespace {

constexpr std::string_view kSyllables[] = {
    "sora", "hana",   "kumo",  "yama", "umi", "kaze", "mori", "tsuki", "hoshi",  "kawa",
    "aoi",  "midori", "shiro", "kuro", "aka", "nami", "yuki", "ame",   "hikari", "michi",
    "tabi", "mise",   "ichi",  "nagi", "rin", "kai",  "ren",  "sato",  "machi",  "haru"};
constexpr std::string_view kWords[] = {"news",  "shop", "media", "cloud", "games",  "bank",
                                       "maps",  "mail", "video", "photo", "books",  "music",
                                       "store", "tech", "sport", "food",  "travel", "learn"};
constexpr std::string_view kHostPrefixes[] = {"www",    "www", "www", "img", "api",
                                              "static", "cdn", "m",   "app", "assets"};
// Benign names one character or label away from the demo's C2 names: a domain rule that
// matched them would be wrong.
constexpr std::string_view kNearMisses[] = {"xcdn-sync.example.net", "notc2.example.net",
                                            "update-checker.example.org"};

std::string_view pick(Rng& rng, std::span<const std::string_view> list) {
  return list[rng.below(list.size())];
}

// A client's TLS stack is fixed per host, like its browser and OS.
TlsProfile profile_of(const IpAddress& client) {
  std::uint64_t h = 0;
  for (const auto b : client.bytes()) h = h * 131 + b;
  static constexpr TlsProfile kMix[] = {
      TlsProfile::chrome, TlsProfile::chrome, TlsProfile::chrome,  TlsProfile::chrome,
      TlsProfile::safari, TlsProfile::safari, TlsProfile::firefox, TlsProfile::schannel,
      TlsProfile::go,     TlsProfile::curl};
  return kMix[splitmix64(h) % std::size(kMix)];
}

}  // namespace

BenignMix::BenignMix(const SynthContext& ctx, std::uint64_t budget_bytes, std::uint64_t seed)
    : ctx_(ctx), rng_(seed), budget_(budget_bytes), time_(ctx.timing.start) {
  build_populations();
  time_ = time_ + Duration{rng_.between(0, 2'000'000)};
}

IpAddress BenignMix::clear_host(Pool pool, std::uint64_t index) {
  for (std::uint64_t salt = ctx_.seed;; ++salt) {
    const IpAddress address = ctx_.plan.host(pool, index, salt);
    if (!ctx_.rules.covers_address(address)) return address;
  }
}

std::string BenignMix::site_name(bool domestic) {
  for (;;) {
    // One draw per statement: argument evaluation order is unspecified in C++.
    const std::string_view host = pick(rng_, kHostPrefixes);
    const std::string_view first = pick(rng_, kSyllables);
    const std::string_view second = rng_.chance(500) ? pick(rng_, kWords) : pick(rng_, kSyllables);
    const std::string_view tld =
        domestic ? "jp" : pick(rng_, std::array<std::string_view, 3>{"com", "net", "org"});
    std::string name = fmt::format("{}.{}{}.example.{}", host, first, second, tld);
    if (!ctx_.rules.covers_domain(name)) return name;
  }
}

void BenignMix::build_populations() {
  const Plan& plan = ctx_.timing;
  for (std::size_t i = 0; i < plan.jp_clients; ++i) {
    jp_clients_.push_back(clear_host(Pool::jp_clients, i));
  }
  for (std::size_t i = 0; i < plan.jp_clients / 4; ++i) {
    jp_clients_v6_.push_back(clear_host(Pool::jp_clients_v6, i));
  }
  for (std::size_t i = 0; i < plan.foreign_clients; ++i) {
    foreign_clients_.push_back(clear_host(Pool::foreign_clients, i));
  }
  for (std::size_t i = 0; i < plan.foreign_clients / 6; ++i) {
    foreign_clients_v6_.push_back(clear_host(Pool::foreign_clients_v6, i));
  }
  for (std::size_t i = 0; i < plan.foreign_sites; ++i) {
    Site site{i < std::size(kNearMisses) ? std::string(kNearMisses[i]) : site_name(false),
              clear_host(Pool::foreign_servers, i), std::nullopt, false};
    if (rng_.chance(400)) site.v6 = clear_host(Pool::foreign_servers_v6, i);
    foreign_sites_.push_back(std::move(site));
  }
  // The webshell's site has ordinary visitors too, foreign and domestic.
  domestic_sites_.push_back(
      {std::string(kWebshellSite), ctx_.infra.webshell_server, std::nullopt, true});
  for (std::size_t i = 1; i < plan.domestic_sites; ++i) {
    Site site{site_name(true), clear_host(Pool::jp_servers, i), std::nullopt, true};
    if (rng_.chance(400)) site.v6 = clear_host(Pool::jp_servers_v6, i);
    domestic_sites_.push_back(std::move(site));
  }
  for (std::size_t i = 0; i < 16; ++i) ssh_servers_.push_back(clear_host(Pool::foreign_hosting, i));
}

std::optional<Timestamp> BenignMix::next_start() const {
  if (used_ >= budget_) return std::nullopt;
  return time_;
}

BenignMix::Pick BenignMix::pick_endpoints() {
  // Categories by initiator: DF 60 %, FD 15 %, DD 15 %, FF 10 %.
  static constexpr std::uint32_t kWeights[] = {60, 15, 15, 10};
  const auto category = rng_.weighted(kWeights);
  const bool client_domestic = category == 0 || category == 2;
  const bool server_domestic = category == 1 || category == 2;
  const auto& sites = server_domestic ? domestic_sites_ : foreign_sites_;
  const Site* site =
      &sites[std::min<std::size_t>(rng_.log_uniform(1, sites.size()) - 1, sites.size() - 1)];
  const auto& v6_clients = client_domestic ? jp_clients_v6_ : foreign_clients_v6_;
  const bool v6 = site->v6 && !v6_clients.empty() && rng_.chance(450);
  const auto& clients = v6 ? v6_clients : (client_domestic ? jp_clients_ : foreign_clients_);
  return {clients[rng_.below(clients.size())], site, v6 ? *site->v6 : site->v4};
}

void BenignMix::add(FlowSink& sink, MadeFlow made, const char* scenario) {
  used_ += made.flow->estimated_bytes();
  mean_flow_bytes_ = (mean_flow_bytes_ * 63 + made.flow->estimated_bytes()) / 64;
  made.facts.scenario = scenario;
  sink.add(std::move(made.flow), std::move(made.facts));
}

void BenignMix::start_next(FlowSink& sink) {
  // Relative flow counts: dns, web (TLS), http, app telemetry (TLS), quic, bulk, ssh, ping.
  static constexpr std::uint32_t kKinds[] = {60, 56, 18, 24, 20, 1, 4, 6};
  switch (rng_.weighted(kKinds)) {
    case 0:
      dns(sink);
      break;
    case 1:
      web_tls(sink, false);
      break;
    case 2:
      web_http(sink);
      break;
    case 3:
      web_tls(sink, true);
      break;
    case 4:
      quic(sink);
      break;
    case 5:
      bulk(sink);
      break;
    case 6:
      ssh(sink);
      break;
    default:
      ping(sink);
      break;
  }
  // Next arrival: exponential gap whose mean spreads the remaining budget over the
  // remaining window.
  const std::int64_t window = std::max<std::int64_t>((ctx_.timing.end - time_).nanos, 0);
  const std::uint64_t remaining = budget_ > used_ ? budget_ - used_ : 1;
  const auto flows_left =
      std::max<std::uint64_t>(1, remaining / std::max<std::uint64_t>(1, mean_flow_bytes_));
  const std::int64_t mean = std::max<std::int64_t>(
      20'000, window / static_cast<std::int64_t>(std::min<std::uint64_t>(flows_left, 1u << 30)));
  time_ = time_ + Duration{rng_.exponential(mean) + 1000};
}

void BenignMix::lookup_before(FlowSink& sink, const Pick& pick, Timestamp& start) {
  const bool domestic_client = ctx_.plan.is_domestic(pick.client);
  const IpAddress resolver = domestic_client && rng_.chance(600)
                                 ? domestic_resolver(ctx_, rng_.below(4))
                                 : public_resolver(rng_.below(4), !pick.client.is_v4());
  const FlowPath path = make_path(ctx_, rng_, pick.client, ephemeral_port(rng_), resolver, 53);
  DnsLookup lookup{pick.site->name,
                   pick.server.is_v4() ? dns_type::a : dns_type::aaaa,
                   {{}, {pick.server}, false}};
  if (rng_.chance(300)) lookup.answer.cnames = {pick.site->name + ".edge.example.net"};
  add(sink, dns_flow(ctx_, rng_, path, start, lookup, ctx_.canary), "benign_dns");
  start = start + path.server_rtt + Duration::millis(30);
}

void BenignMix::dns(FlowSink& sink) {
  const Pick p = pick_endpoints();
  const bool domestic_client = ctx_.plan.is_domestic(p.client);
  const IpAddress resolver = domestic_client && rng_.chance(600)
                                 ? domestic_resolver(ctx_, rng_.below(4))
                                 : public_resolver(rng_.below(4), !p.client.is_v4());
  const FlowPath path = make_path(ctx_, rng_, p.client, ephemeral_port(rng_), resolver, 53);
  DnsLookup lookup;
  const auto roll = rng_.below(100);
  lookup.name = p.site->name;
  if (roll < 65) {
    lookup.type = dns_type::a;
    lookup.answer.addresses = {p.site->v4};
  } else if (roll < 88) {
    lookup.type = dns_type::aaaa;
    if (p.site->v6) lookup.answer.addresses = {*p.site->v6};
  } else if (roll < 94) {
    lookup.type = dns_type::txt;
  } else {
    lookup.name = fmt::format("{}.{}", fmt::format("{:x}", rng_.next32()), p.site->name);
    lookup.answer.nxdomain = true;
  }
  if (rng_.chance(250) && !lookup.answer.nxdomain) {
    lookup.answer.cnames = {p.site->name + ".edge.example.net"};
  }
  add(sink, dns_flow(ctx_, rng_, path, time_, lookup, ctx_.canary), "benign_dns");
}

void BenignMix::web_tls(FlowSink& sink, bool api) {
  const Pick p = pick_endpoints();
  Timestamp start = time_;
  if (!api && rng_.chance(300)) lookup_before(sink, p, start);
  TlsSession session;
  session.profile = profile_of(p.client);
  session.sni = p.site->name;
  const auto exchanges = api ? 1 : rng_.between(1, 3);
  for (std::int64_t i = 0; i < exchanges; ++i) {
    const std::uint64_t request = static_cast<std::uint64_t>(rng_.between(200, api ? 2500 : 900));
    const std::uint64_t response =
        api ? rng_.log_uniform(150, 6000)
            : rng_.log_uniform(400, std::min<std::uint64_t>(64 * 1024, size_cap() / 2));
    session.exchanges.emplace_back(request, response);
  }
  session.think = Duration{rng_.between(20'000'000, 3'000'000'000)};
  session.closing = rng_.chance(150)
                        ? TcpClosing::client_rst
                        : (rng_.chance(300) ? TcpClosing::server_fin : TcpClosing::client_fin);
  const FlowPath path = make_path(ctx_, rng_, p.client, ephemeral_port(rng_), p.server, 443);
  add(sink, tls_flow(ctx_, rng_, path, start, session, ctx_.canary),
      api ? "benign_tls_api" : "benign_web_tls");
}

void BenignMix::web_http(FlowSink& sink) {
  const Pick p = pick_endpoints();
  Timestamp start = time_;
  if (rng_.chance(300)) lookup_before(sink, p, start);
  const std::string canary(ctx_.canary.begin(), ctx_.canary.end());
  std::vector<HttpExchange> exchanges;
  const auto count = rng_.between(1, 3);
  for (std::int64_t i = 0; i < count; ++i) {
    HttpExchange e;
    e.request.host = p.site->name;
    e.request.user_agent = pick_user_agent(rng_.below(8));
    const std::string token = canary.empty() ? fmt::format("{:x}", rng_.next32()) : canary;
    if (rng_.chance(150)) {
      e.request.method = "POST";
      e.request.target = fmt::format("/{}/submit?session={}", pick(rng_, kWords), token);
      const std::string_view name = pick(rng_, kSyllables);
      const std::string_view topic = pick(rng_, kWords);
      const std::string_view word = pick(rng_, kSyllables);
      e.request.body = fmt::format("name={}&comment={}+{}&token={}", name, topic, word, token);
    } else {
      const std::string_view section = pick(rng_, kWords);
      const std::string_view page = pick(rng_, kSyllables);
      const std::string_view query = pick(rng_, kSyllables);
      const auto number = rng_.below(20);
      e.request.target =
          fmt::format("/{}/{}?q={}&page={}&ref={}", section, page, query, number, token);
    }
    e.request.cookie = fmt::format("sid={:016x}; pref={}", rng_.next(), token);
    e.response.body_fill =
        rng_.log_uniform(300, std::min<std::uint64_t>(100 * 1024, size_cap() / 2));
    if (rng_.chance(200)) {
      e.response.content_type = "application/octet-stream";
      e.response_fill = FillKind::random;
    }
    exchanges.push_back(std::move(e));
  }
  const FlowPath path = make_path(ctx_, rng_, p.client, ephemeral_port(rng_), p.server, 80);
  add(sink, http_flow(ctx_, rng_, path, start, std::move(exchanges), ctx_.canary), "benign_http");
}

void BenignMix::quic(FlowSink& sink) {
  const Pick p = pick_endpoints();
  const FlowPath path = make_path(ctx_, rng_, p.client, ephemeral_port(rng_), p.server, 443);
  const std::uint64_t bytes =
      rng_.log_uniform(4 * 1024, std::min<std::uint64_t>(256 * 1024, size_cap()));
  add(sink, quic_flow(ctx_, rng_, path, time_, bytes, ctx_.canary), "benign_quic");
}

void BenignMix::bulk(FlowSink& sink) {
  const Pick p = pick_endpoints();
  const std::uint64_t cap = std::clamp<std::uint64_t>(budget_ / 40, size_cap(), 16ULL << 20);
  const std::uint64_t size = rng_.log_uniform(std::min<std::uint64_t>(256 * 1024, cap / 2), cap);
  if (rng_.chance(500)) {
    TlsSession session;
    session.profile = profile_of(p.client);
    session.sni = p.site->name;
    if (rng_.chance(150)) {
      session.exchanges = {{size, 200}};  // upload
    } else {
      session.exchanges = {{300, size}};
    }
    const FlowPath path = make_path(ctx_, rng_, p.client, ephemeral_port(rng_), p.server, 443);
    add(sink, tls_flow(ctx_, rng_, path, time_, session, ctx_.canary), "benign_bulk_tls");
    return;
  }
  HttpExchange e;
  e.request.host = p.site->name;
  e.request.user_agent = pick_user_agent(5 + rng_.below(3));
  const std::string canary(ctx_.canary.begin(), ctx_.canary.end());
  const std::string_view package = pick(rng_, kWords);
  const auto major = rng_.between(1, 9);
  const auto minor = rng_.between(0, 30);
  const std::string mirror = canary.empty() ? fmt::format("{:x}", rng_.next16()) : canary;
  e.request.target =
      fmt::format("/pub/dist/{}-{}.{}.tar.xz?mirror={}", package, major, minor, mirror);
  e.response.content_type = "application/x-xz";
  e.response.body_fill = size;
  e.response_fill = FillKind::random;
  const FlowPath path = make_path(ctx_, rng_, p.client, ephemeral_port(rng_), p.server, 80);
  add(sink, http_flow(ctx_, rng_, path, time_, {std::move(e)}, ctx_.canary), "benign_bulk_http");
}

void BenignMix::ssh(FlowSink& sink) {
  const IpAddress client = jp_clients_[rng_.below(jp_clients_.size())];
  const IpAddress server = ssh_servers_[rng_.below(ssh_servers_.size())];
  const auto text = [](std::string_view s) {
    return std::vector<std::uint8_t>(s.begin(), s.end());
  };
  // The banners' comment field (RFC 4253 §4.2) carries the canary when one is set.
  const std::string canary(ctx_.canary.begin(), ctx_.canary.end());
  const std::string server_comment = canary.empty() ? "Ubuntu-3ubuntu13.5" : canary;
  const std::string client_comment = canary.empty() ? "Debian-2+deb12u3" : canary;
  std::vector<Message> messages;
  messages.push_back({Side::server,
                      text("SSH-2.0-OpenSSH_9.6p1 " + server_comment + "\r\n"),
                      0,
                      FillKind::random,
                      {}});
  messages.push_back({Side::client,
                      text("SSH-2.0-OpenSSH_9.2p1 " + client_comment + "\r\n"),
                      0,
                      FillKind::random,
                      {}});
  messages.push_back({Side::client, {}, 1500, FillKind::random, {}});  // KEXINIT, ECDH
  messages.push_back({Side::server, {}, 1100, FillKind::random, {}});
  messages.push_back({Side::client, {}, 600, FillKind::random, {}});  // NEWKEYS, auth
  messages.push_back({Side::server, {}, 400, FillKind::random, {}});
  const bool copy = rng_.chance(150);
  const auto rounds = copy ? 1 : rng_.between(5, 40);
  for (std::int64_t i = 0; i < rounds; ++i) {
    const std::uint64_t up =
        copy
            ? rng_.log_uniform(16 * 1024, std::clamp<std::uint64_t>(size_cap(), 32 * 1024, 4 << 20))
            : 36 + 16 * rng_.below(4);
    messages.push_back({Side::client,
                        {},
                        up,
                        FillKind::random,
                        Duration{rng_.between(100'000'000, 4'000'000'000)}});
    messages.push_back({Side::server, {}, 36 + 16 * rng_.below(30), FillKind::random, {}});
  }
  const FlowPath path = make_path(ctx_, rng_, client, ephemeral_port(rng_), server, 22);
  add(sink,
      tcp_flow(ctx_, rng_, path, time_, std::move(messages), TcpClosing::client_fin, ctx_.canary),
      "benign_ssh");
}

void BenignMix::ping(FlowSink& sink) {
  Pick p = pick_endpoints();
  if (rng_.chance(150)) {
    // Router addresses of the tapped link (RFC 1918, not in the country database: "unknown",
    // which counts as domestic, so DD).
    p.client = ctx_.plan.host(Pool::private_infra, rng_.below(4), ctx_.seed);
    p.server = ctx_.plan.host(Pool::private_infra, 4 + rng_.below(4), ctx_.seed);
  }
  const FlowPath path =
      make_path(ctx_, rng_, p.client, static_cast<std::uint16_t>(rng_.next16()), p.server, 0);
  add(sink, ping_flow(ctx_, rng_, path, time_, static_cast<int>(rng_.between(3, 5)), ctx_.canary),
      "benign_ping");
}

}  // namespace mamori::synth
