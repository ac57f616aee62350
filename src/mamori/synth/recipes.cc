#include "mamori/synth/recipes.h"

#include <algorithm>

#include "mamori/synth/quic_packet.h"

namespace mamori::synth {
namespace {

std::uint64_t host_hash(const IpAddress& address) {
  std::uint64_t h = 0x12345678;
  for (const auto b : address.bytes()) h = (h ^ b) * 0x100000001b3ULL;
  return splitmix64(h);
}

bool near_asia(std::string_view country) { return country == "CN" || country == "KR"; }

// TTL as the tap sees it: the host's initial TTL (fixed per host, like its OS) minus hops.
std::uint8_t observed_ttl(const AddressPlan& plan, const IpAddress& host) {
  const std::uint64_t h = host_hash(host);
  const int initial = (h % 20) < 14 ? 64 : ((h % 20) < 19 ? 128 : 255);
  const std::string_view country = plan.country_of(host);
  int hops = 0;
  if (plan.is_domestic(host)) {
    hops = 3 + static_cast<int>((h >> 8) % 8);
  } else if (near_asia(country)) {
    hops = 9 + static_cast<int>((h >> 8) % 8);
  } else {
    hops = 13 + static_cast<int>((h >> 8) % 12);
  }
  return static_cast<std::uint8_t>(initial - hops);
}

Duration draw_rtt(const AddressPlan& plan, Rng& rng, const IpAddress& host) {
  if (plan.is_domestic(host)) return Duration{rng.between(1'500'000, 25'000'000)};
  if (near_asia(plan.country_of(host))) return Duration{rng.between(30'000'000, 90'000'000)};
  return Duration{rng.between(90'000'000, 260'000'000)};
}

FlowFacts base_facts(const FlowPath& path, std::uint8_t protocol, Timestamp start) {
  FlowFacts facts;
  facts.protocol = protocol;
  facts.client = path.client.ip;
  facts.client_port = path.client.port;
  facts.server = path.server.ip;
  facts.server_port = path.server.port;
  facts.start = start;
  return facts;
}

std::vector<std::uint8_t> bytes_of(std::span<const std::uint8_t> span) {
  return {span.begin(), span.end()};
}

}  // namespace

std::uint16_t ephemeral_port(Rng& rng) {
  if (rng.chance(600)) return static_cast<std::uint16_t>(rng.between(49152, 65535));
  return static_cast<std::uint16_t>(rng.between(32768, 60999));
}

std::uint64_t draw_rate(Rng& rng, bool server) {
  return server ? rng.log_uniform(5'000'000, 400'000'000) : rng.log_uniform(2'000'000, 100'000'000);
}

FlowPath make_path(const SynthContext& ctx, Rng& rng, const IpAddress& client,
                   std::uint16_t client_port, const IpAddress& server, std::uint16_t server_port) {
  FlowPath path;
  const bool client_domestic = ctx.plan.is_domestic(client);
  const bool server_domestic = ctx.plan.is_domestic(server);
  path.client = {client, client_port, observed_ttl(ctx.plan, client),
                 client_domestic ? kDomesticRouter : kForeignRouterA};
  path.server = {server, server_port, observed_ttl(ctx.plan, server),
                 server_domestic ? kDomesticRouter : kForeignRouterA};
  if (client_domestic == server_domestic) path.server.router = kForeignRouterB;
  const auto roll = rng.below(100);
  path.vlan = roll < 10 ? 110 : (roll < 16 ? 120 : 0);
  path.client_rtt = draw_rtt(ctx.plan, rng, client);
  path.server_rtt = draw_rtt(ctx.plan, rng, server);
  return path;
}

MadeFlow dns_flow(const SynthContext& ctx, Rng& rng, const FlowPath& path, Timestamp start,
                  const DnsLookup& lookup, std::span<const std::uint8_t> canary) {
  DatagramSpec spec;
  spec.path = path;
  spec.start = start;
  spec.seed = rng.next();
  const auto id = rng.next16();
  Datagram query;
  write_dns_query(query.head, id, lookup.name, lookup.type, canary);
  Datagram response;
  response.from = Side::server;
  response.after = path.server_rtt + Duration{rng.between(200'000, 30'000'000)};
  write_dns_response(response.head, id, lookup.name, lookup.type, lookup.answer, canary, rng);
  spec.datagrams = {std::move(query), std::move(response)};
  MadeFlow made{nullptr, base_facts(path, 17, start)};
  made.facts.dns_names.push_back(lookup.name);
  collect_payload(made.facts, spec.datagrams);
  made.flow = std::make_unique<DatagramFlow>(std::move(spec), ctx.fill);
  return made;
}

MadeFlow tls_flow(const SynthContext& ctx, Rng& rng, const FlowPath& path, Timestamp start,
                  const TlsSession& session, std::span<const std::uint8_t> canary) {
  TcpSpec spec;
  spec.path = path;
  spec.start = start;
  spec.seed = rng.next();
  spec.closing = session.closing;
  spec.canary = bytes_of(canary);
  spec.timestamps = session.profile != TlsProfile::schannel && rng.chance(850);
  spec.mss = path.client.ip.is_v4() ? (rng.chance(200) ? 1414 : 1460) : 1440;
  spec.client_rate_bps = draw_rate(rng, false);
  spec.server_rate_bps = draw_rate(rng, true);
  const bool tls13 = profile_offers_tls13(session.profile);

  Message hello;
  ClientHelloSpec hello_spec;
  hello_spec.profile = session.profile;
  hello_spec.sni = session.sni;
  hello_spec.ticket = canary;
  const TlsFingerprint fp = write_client_hello(hello.head, hello_spec, rng);

  Message server_hello;
  server_hello.from = Side::server;
  write_server_hello(server_hello.head, session.profile, rng);
  const std::uint64_t flight = session.server_flight
                                   ? session.server_flight
                                   : static_cast<std::uint64_t>(rng.between(2300, 4800));
  server_hello.fill = tls_records_size(tls13 ? flight : 36);
  server_hello.fill_kind = FillKind::tls_records;
  server_hello.delay = Duration{rng.between(200'000, 8'000'000)};
  spec.messages.push_back(std::move(hello));
  spec.messages.push_back(std::move(server_hello));

  bool first = true;
  for (const auto& [request, response] : session.exchanges) {
    Message out;
    if (first) write_change_cipher_spec(out.head);
    out.fill = tls_records_size((first ? 52 : 0) + request);
    out.fill_kind = FillKind::tls_records;
    out.delay = first ? Duration{} : session.think;
    Message in;
    in.from = Side::server;
    in.fill = tls_records_size(response);
    in.fill_kind = FillKind::tls_records;
    in.delay = Duration{rng.between(500'000, 40'000'000)};
    spec.messages.push_back(std::move(out));
    spec.messages.push_back(std::move(in));
    first = false;
  }
  MadeFlow made{nullptr, base_facts(path, 6, start)};
  made.facts.sni = session.sni;
  made.facts.tls = fp;
  collect_payload(made.facts, spec.messages);
  made.flow = std::make_unique<TcpFlow>(std::move(spec), ctx.fill);
  return made;
}

MadeFlow http_flow(const SynthContext& ctx, Rng& rng, const FlowPath& path, Timestamp start,
                   std::vector<HttpExchange> exchanges, std::span<const std::uint8_t> canary) {
  TcpSpec spec;
  spec.path = path;
  spec.start = start;
  spec.seed = rng.next();
  spec.canary = bytes_of(canary);
  spec.timestamps = rng.chance(700);
  spec.mss = path.client.ip.is_v4() ? 1460 : 1440;
  spec.client_rate_bps = draw_rate(rng, false);
  spec.server_rate_bps = draw_rate(rng, true);
  MadeFlow made{nullptr, base_facts(path, 6, start)};
  Timestamp when = start + path.server_rtt + path.client_rtt;
  bool first = true;
  for (auto& exchange : exchanges) {
    Message request;
    write_http_request(request.head, exchange.request);
    request.fill = exchange.request.body_fill;
    request.fill_kind = FillKind::random;
    request.delay = first ? Duration{} : Duration{rng.between(50'000'000, 2'000'000'000)};
    when = when + request.delay + path.server_rtt;
    exchange.response.date = when;
    Message response;
    response.from = Side::server;
    write_http_response(response.head, exchange.response);
    response.fill = exchange.response.body_fill;
    response.fill_kind = exchange.response_fill;
    response.delay = Duration{rng.between(1'000'000, 60'000'000)};
    if (std::find(made.facts.http_hosts.begin(), made.facts.http_hosts.end(),
                  exchange.request.host) == made.facts.http_hosts.end()) {
      made.facts.http_hosts.push_back(exchange.request.host);
    }
    spec.messages.push_back(std::move(request));
    spec.messages.push_back(std::move(response));
    first = false;
  }
  collect_payload(made.facts, spec.messages);
  made.flow = std::make_unique<TcpFlow>(std::move(spec), ctx.fill);
  return made;
}

MadeFlow tcp_flow(const SynthContext& ctx, Rng& rng, const FlowPath& path, Timestamp start,
                  std::vector<Message> messages, TcpClosing closing,
                  std::span<const std::uint8_t> canary) {
  TcpSpec spec;
  spec.path = path;
  spec.start = start;
  spec.seed = rng.next();
  spec.canary = bytes_of(canary);
  spec.closing = closing;
  spec.timestamps = rng.chance(800);
  spec.mss = path.client.ip.is_v4() ? 1460 : 1440;
  spec.client_rate_bps = draw_rate(rng, false);
  spec.server_rate_bps = draw_rate(rng, true);
  spec.messages = std::move(messages);
  MadeFlow made{nullptr, base_facts(path, 6, start)};
  collect_payload(made.facts, spec.messages);
  made.flow = std::make_unique<TcpFlow>(std::move(spec), ctx.fill);
  return made;
}

MadeFlow quic_flow(const SynthContext& ctx, Rng& rng, const FlowPath& path, Timestamp start,
                   std::uint64_t bytes, std::span<const std::uint8_t> canary) {
  DatagramSpec spec;
  spec.path = path;
  spec.start = start;
  spec.seed = rng.next();
  spec.canary = bytes_of(canary);
  ConnectionId client_cid{};
  ConnectionId server_cid{};
  rng.fill(client_cid);
  rng.fill(server_cid);
  constexpr std::size_t kLongHeader = 26;  // Initial header with 8-byte CIDs, empty token
  const auto long_packet = [&](Side from, QuicLongType type, std::size_t size, Duration after) {
    Datagram d;
    d.from = from;
    write_quic_long(d.head, type, from == Side::client ? server_cid : client_cid,
                    from == Side::client ? client_cid : server_cid, size, rng);
    const std::size_t header = type == QuicLongType::initial ? kLongHeader : kLongHeader - 1;
    d.fill = static_cast<std::uint32_t>(d.head.size() - header);
    d.head.resize(header);
    d.after = after;
    return d;
  };
  spec.datagrams.push_back(long_packet(Side::client, QuicLongType::initial, 1250, {}));
  spec.datagrams.push_back(long_packet(Side::server, QuicLongType::initial, 1250,
                                       path.server_rtt + Duration::millis(2)));
  spec.datagrams.push_back(long_packet(Side::server, QuicLongType::handshake,
                                       static_cast<std::size_t>(rng.between(600, 1250)),
                                       Duration{300'000}));
  spec.datagrams.push_back(long_packet(Side::client, QuicLongType::handshake, 90, path.client_rtt));
  Datagram request;
  write_quic_short_header(request.head, server_cid, rng);
  request.fill = static_cast<std::uint32_t>(rng.between(60, 400));
  request.after = Duration{200'000};
  spec.datagrams.push_back(std::move(request));
  Datagram data;
  data.from = Side::server;
  write_quic_short_header(data.head, client_cid, rng);
  data.fill = 1252 - static_cast<std::uint32_t>(data.head.size());
  data.repeat = static_cast<std::uint32_t>(std::max<std::uint64_t>(1, bytes / 1252));
  const std::uint64_t rate = draw_rate(rng, true);
  data.interval = Duration{static_cast<std::int64_t>(1300 * 8 * 1'000'000'000ULL / rate)};
  data.after = path.server_rtt + Duration{rng.between(1'000'000, 20'000'000)};
  data.reply_every = 10;
  write_quic_short_header(data.reply_head, server_cid, rng);
  data.reply_fill = static_cast<std::uint32_t>(rng.between(24, 40));
  spec.datagrams.push_back(std::move(data));
  MadeFlow made{nullptr, base_facts(path, 17, start)};
  collect_payload(made.facts, spec.datagrams);
  made.flow = std::make_unique<DatagramFlow>(std::move(spec), ctx.fill);
  return made;
}

MadeFlow ping_flow(const SynthContext& ctx, Rng& rng, const FlowPath& path, Timestamp start,
                   int count, std::span<const std::uint8_t> canary) {
  DatagramSpec spec;
  spec.path = path;
  spec.start = start;
  spec.seed = rng.next();
  spec.echo = true;
  for (int i = 0; i < count; ++i) {
    std::vector<std::uint8_t> payload(56);
    rng.fill(payload);
    if (!canary.empty() && canary.size() <= payload.size() - 8) {
      std::copy(canary.begin(), canary.end(), payload.begin() + 8);
    }
    Datagram request;
    request.head = payload;
    request.after = i == 0 ? Duration{} : Duration::seconds(1) - path.server_rtt;
    Datagram reply;
    reply.from = Side::server;
    reply.head = std::move(payload);
    reply.after = path.server_rtt;
    spec.datagrams.push_back(std::move(request));
    spec.datagrams.push_back(std::move(reply));
  }
  const bool v4 = path.client.ip.is_v4();
  MadeFlow made{nullptr, base_facts(path, v4 ? 1 : 58, start)};
  made.flow = std::make_unique<DatagramFlow>(std::move(spec), ctx.fill);
  return made;
}

}  // namespace mamori::synth

namespace mamori::synth {

IpAddress domestic_resolver(const SynthContext& ctx, std::uint64_t index) {
  return ctx.plan.host(Pool::jp_resolvers, index % 4, ctx.seed ^ 0x7265736f6c766572ULL);
}

IpAddress public_resolver(std::uint64_t index, bool v6) {
  static constexpr const char* kV4[] = {"8.8.8.8", "8.8.4.4", "1.1.1.1", "9.9.9.9"};
  static constexpr const char* kV6[] = {"2001:4860:4860::8888", "2001:4860:4860::8844"};
  return v6 ? *IpAddress::parse(kV6[index % 2]) : *IpAddress::parse(kV4[index % 4]);
}

}  // namespace mamori::synth
