// `mamori intel …`: intelligence products and their provision (issue 7). Products are stored
// as immutable T1 versions; `show --tier` prints a derivation with its report; `provide` applies
// the dissemination rules and records the provision (or the refusal) on the ledger before any
// content is released; `export-stix` writes a tier as a STIX 2.1 bundle; `import-stix` reads a
// partner's bundle object by object and stores its indicators, labelled provider:<org>, as a T1
// product (there is no other store for partner indicators yet); `publish` is a provision to a
// TAXII collection's audience whose STIX objects are stored in the server's database after the
// provision is recorded; `deliveries` lists members' fetches the server logged.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mamori/cli/identity_options.h"
#include "mamori/cli/intel_commands.h"
#include "mamori/cli/registry_session.h"
#include "mamori/core/config.h"
#include "mamori/governance/signed_document.h"
#include "mamori/intel/product_stix.h"
#include "mamori/intel/provision.h"
#include "mamori/intel/sanitizer.h"
#include "mamori/intel/sqlite_intel_storage.h"
#include "mamori/intel/stix_reader.h"
#include "mamori/server/taxii_config.h"
#include "mamori/server/taxii_store.h"
#include "mamori/site/intel_config.h"

namespace mamori::cli {
namespace {

using nlohmann::json;
namespace in = mamori::intel;

using site::IntelConfig;
using site::load_intel_config;

struct IntelSession {
  std::unique_ptr<site::Installation> installation;
  IntelConfig config;
  std::unique_ptr<in::IntelStorage> storage;
  governance::User user;

  std::string actor() const {
    return fmt::format("user '{}' ({})", user.name, governance::to_string(user.role));
  }
};

// write: analysts and admins; read: the same; inspect: also the overseer; audit: the overseer
// and admins only (the TAXII delivery log).
enum class Need { write, read, inspect, audit };

Result<IntelSession> open_intel(const IntelCommands& args, Need need) {
  auto credentials = site::gather_credentials(args.user, args.password_file, args.token_file);
  if (!credentials) return fail(credentials.error());
  auto config = load_intel_config(args.config);
  if (!config) return fail(config.error());
  auto installation = site::open_installation(args.config);
  if (!installation) return fail(installation.error());
  auto authentication =
      site::authenticate(**installation, *credentials,
                         {"working with intelligence products", "総合整理分析情報の取扱い"});
  if (!authentication) return fail(authentication.error());
  if (!authentication->user) return fail("refused / 拒否: {}", authentication->message);
  const governance::User& user = *authentication->user;
  if (user.disabled) {
    return fail("refused / 拒否: user '{}' is disabled / 利用者は無効化されています", user.name);
  }
  const bool government =
      user.role == governance::Role::analyst || user.role == governance::Role::admin;
  const bool overseer = user.role == governance::Role::overseer;
  const bool allowed = need == Need::audit ? user.role == governance::Role::admin || overseer
                                           : government || (need == Need::inspect && overseer);
  if (!allowed) {
    return fail("refused / 拒否: user '{}' ({}) may not {}: {} / この役割では扱えません", user.name,
                governance::to_string(user.role),
                need == Need::write   ? "write or provide intelligence products"
                : need == Need::audit ? "read the TAXII delivery log"
                                      : "read intelligence products",
                need == Need::inspect ? "analyst, admin or overseer only"
                : need == Need::audit ? "overseer or admin only"
                                      : "analyst or admin only");
  }
  auto storage = in::open_sqlite_intel_storage(config->path);
  if (!storage) return fail(storage.error());
  IntelSession session;
  session.installation = std::move(*installation);
  session.config = std::move(*config);
  session.storage = std::move(*storage);
  session.user = user;
  return session;
}

int report_intel_error(const IntelCommands& args, const Error& error) {
  std::fprintf(stderr, "mamori %s: %s\n", args.name.c_str(), error.message.c_str());
  return kExitError;
}

Result<json> read_json_file(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return fail(text.error());
  try {
    return json::parse(*text);
  } catch (const json::exception&) {
    return fail("{}: invalid JSON", path);
  }
}

Result<in::Tier> tier_option(int tier) {
  switch (tier) {
    case 1:
      return in::Tier::t1;
    case 2:
      return in::Tier::t2;
    case 3:
      return in::Tier::t3;
    default:
      return fail("--tier: must be 1, 2 or 3");
  }
}

std::string tier_text(in::Tier tier) {
  return fmt::format("{} ({})", in::to_string(tier), in::japanese_name(tier));
}

Result<in::Product> load_product(IntelSession& session, const std::string& id,
                                 std::uint32_t version) {
  auto product = session.storage->product(id, version);
  if (!product) return fail(product.error());
  if (!*product) {
    if (version == 0) {
      return fail("product '{}' is not stored / 保存されていません",
                  governance::detail::printable(id));
    }
    return fail("product '{}' has no version {} / この版はありません",
                governance::detail::printable(id), version);
  }
  return std::move(**product);
}

void print_report(const in::DerivationReport& report) {
  fmt::print(
      "derivation report / 導出記録 ({}: {} kept / 維持, {} generalised / 一般化, {} dropped "
      "/ 削除)\n",
      report.target, report.count(in::DerivationAction::kept),
      report.count(in::DerivationAction::generalised), report.count(in::DerivationAction::dropped));
  TextTable table({"item / 項目", "action / 処理", "reason / 理由"});
  for (const auto& step : report.steps) {
    table.add({step.item, std::string(in::to_string(step.action)), step.reason});
  }
  table.print();
}

std::string part_ids(const in::Product& product) {
  std::vector<std::string> ids;
  ids.reserve(product.parts.size());
  for (const auto& part : product.parts) ids.push_back(part.id);
  return fmt::format("{}", fmt::join(ids, ", "));
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return out.good();
}

// --- commands -------------------------------------------------------------------------------

int run_product_put(const IntelCommands& args) {
  auto session = open_intel(args, Need::write);
  if (!session) return report_intel_error(args, session.error());
  auto document = read_json_file(args.file);
  if (!document) return report_intel_error(args, document.error());
  auto product = in::product_from_json(*document);
  if (!product) {
    return report_intel_error(args,
                              Error{fmt::format("{}: {}", args.file, product.error().message)});
  }
  if (product->tier != in::Tier::t1) {
    return report_intel_error(
        args, Error{fmt::format("{}: products are written at T1 (総合整理分析情報); T2 and T3 are "
                                "derived from the stored T1 version",
                                args.file)});
  }
  auto stored = session->storage->save_product(std::move(*product));
  if (!stored) return report_intel_error(args, stored.error());
  if (args.json) {
    print_json({{"id", stored->id}, {"version", stored->version}, {"parts", stored->parts.size()}});
    return kExitOk;
  }
  fmt::print("product {} v{} stored / 保存しました ({} parts, {} notes, by {})\n", stored->id,
             stored->version, stored->parts.size(), stored->notes.size(), session->user.name);
  return kExitOk;
}

int run_product_list(const IntelCommands& args) {
  auto session = open_intel(args, Need::read);
  if (!session) return report_intel_error(args, session.error());
  auto products = session->storage->latest_products();
  if (!products) return report_intel_error(args, products.error());
  if (args.json) {
    json out = json::array();
    for (const auto& p : *products) {
      out.push_back({{"id", p.id},
                     {"version", p.version},
                     {"title", p.title},
                     {"author", p.author},
                     {"created_at", format_rfc3339_seconds(p.created_at)}});
    }
    print_json(out);
    return kExitOk;
  }
  if (products->empty()) {
    fmt::print("no products stored / 保存された成果物はありません\n");
    return kExitOk;
  }
  TextTable table({"id", "version / 版", "created / 作成", "author / 作成者", "title / 表題"});
  for (const auto& p : *products) {
    table.add({p.id, std::to_string(p.version), format_rfc3339_seconds(p.created_at), p.author,
               clipped(p.title, 60)});
  }
  table.print();
  return kExitOk;
}

int run_product_show(const IntelCommands& args) {
  auto session = open_intel(args, Need::read);
  if (!session) return report_intel_error(args, session.error());
  auto product = load_product(*session, args.id, args.version);
  if (!product) return report_intel_error(args, product.error());
  if (!args.tier || *args.tier == 1) {
    if (args.json) {
      print_json(in::product_to_json(*product));
      return kExitOk;
    }
    fmt::print("{} — {}\n", in::describe(*product), tier_text(product->tier));
    print_json(in::product_to_json(*product));
    return kExitOk;
  }
  auto tier = tier_option(*args.tier);
  if (!tier) return report_intel_error(args, tier.error());
  auto derivation = in::derive_tier(*product, *tier);
  if (!derivation) return report_intel_error(args, derivation.error());
  if (args.json) {
    print_json({{"product", in::product_to_json(derivation->product)},
                {"derivation", derivation->report.to_json()}});
    return kExitOk;
  }
  fmt::print("{} derived to {} / 導出\n", in::describe(*product), tier_text(*tier));
  print_report(derivation->report);
  print_json(in::product_to_json(derivation->product));
  return kExitOk;
}

Result<in::Recipient> recipient_of(const IntelCommands& args) {
  if (args.recipient_file) {
    if (args.recipient_id || args.recipient_class) {
      return fail(
          "--recipient: give a recipient file or --recipient-id/--recipient-class, not both");
    }
    auto document = read_json_file(*args.recipient_file);
    if (!document) return fail(document.error());
    auto recipient = in::recipient_from_json(*document);
    if (!recipient) return fail("{}: {}", *args.recipient_file, recipient.error().message);
    return recipient;
  }
  if (!args.recipient_id || !args.recipient_class) {
    return fail("give --recipient <recipient.json>, or --recipient-id and --recipient-class");
  }
  json document = {{"id", *args.recipient_id},
                   {"name", args.recipient_name.value_or(*args.recipient_id)},
                   {"class", *args.recipient_class},
                   {"council_member", args.council_member},
                   {"own_prefixes", args.own_prefixes}};
  if (args.obligation) document["confidentiality_obligation"] = *args.obligation;
  auto recipient = in::recipient_from_json(document);
  if (!recipient) return fail("recipient: {}", recipient.error().message);
  return recipient;
}

Result<in::ProtectionConfirmation> confirmation_of(const std::string& path) {
  auto document = read_json_file(path);
  if (!document) return fail(document.error());
  if (!document->is_object()) return fail("{}: a confirmation must be a JSON object", path);
  in::ProtectionConfirmation c;
  try {
    c.id = document->at("id").get<std::string>();
    c.confirmed_by = document->at("confirmed_by").get<std::string>();
    auto at = parse_rfc3339(document->at("confirmed_at").get<std::string>());
    if (!at) return fail("{}: confirmed_at: {}", path, at.error().message);
    c.confirmed_at = *at;
    c.recipient_id = document->at("recipient_id").get<std::string>();
    c.product_id = document->at("product_id").get<std::string>();
    c.product_version = document->at("product_version").get<std::uint32_t>();
  } catch (const json::exception&) {
    return fail(
        "{}: a confirmation needs id, confirmed_by, confirmed_at (RFC 3339), recipient_id, "
        "product_id and product_version",
        path);
  }
  return c;
}

// A provision states a purpose the installation declares (I7), as a read does.
Result<void> declared_purpose(const IntelSession& session, const std::string& purpose) {
  if (session.installation->governance.access.find(purpose) == nullptr) {
    return fail(
        "--purpose: '{}' is not one of the [[access.purposes]] of {} / "
        "設定された目的ではありません",
        purpose, session.installation->config_path);
  }
  return {};
}

int run_provide(const IntelCommands& args) {
  auto session = open_intel(args, Need::write);
  if (!session) return report_intel_error(args, session.error());
  auto product = load_product(*session, args.id, args.version);
  if (!product) return report_intel_error(args, product.error());
  auto recipient = recipient_of(args);
  if (!recipient) return report_intel_error(args, recipient.error());

  in::ProvisionRequest request;
  request.recipient = std::move(*recipient);
  if (args.type) {
    auto type = in::parse_provision_type(*args.type);
    if (!type)
      return report_intel_error(args, Error{fmt::format("--type: {}", type.error().message)});
    const auto& rule = in::rule_for(request.recipient.recipient_class);
    if (*type != rule.type) {
      return report_intel_error(
          args,
          Error{fmt::format("--type: a {} receives {} provisions, not {} / 提供の種類が違います",
                            in::to_string(request.recipient.recipient_class),
                            in::to_string(rule.type), in::to_string(*type))});
    }
  }
  if (args.tier) {
    auto tier = tier_option(*args.tier);
    if (!tier) return report_intel_error(args, tier.error());
    request.tier = *tier;
  }
  request.legal_basis = args.legal_basis;
  if (auto declared = declared_purpose(*session, args.purpose); !declared) {
    return report_intel_error(args, declared.error());
  }
  request.purpose = args.purpose;
  request.requested_by = session->user.name;
  if (args.confirmation_file) {
    auto confirmation = confirmation_of(*args.confirmation_file);
    if (!confirmation) return report_intel_error(args, confirmation.error());
    request.protection_confirmation = std::move(*confirmation);
  }
  request.measure_id = args.measure_id.value_or("");
  request.selected_parts = args.parts;
  request.via = args.via.value_or("");

  const SystemClock clock;
  in::ProvisionServices services{*session->installation->ledger, *session->storage, clock, {}};
  auto provision = in::provide(*product, request, services);
  if (!provision) {
    return report_intel_error(
        args, Error{fmt::format("{} / 提供は拒否され、記録されました", provision.error().message)});
  }
  const auto& record = provision->record;
  const auto& content = provision->content;
  if (!args.out.empty()) {
    if (!write_text(args.out, in::product_to_json(content.product).dump(2) + "\n")) {
      return report_intel_error(args, Error{fmt::format("{}: cannot write the content", args.out)});
    }
  }
  if (args.json) {
    json out = {{"ledger_seq", record.ledger_seq},
                {"recipient", request.recipient.id},
                {"class", in::to_string(request.recipient.recipient_class)},
                {"product", {{"id", product->id}, {"version", product->version}}},
                {"type", in::to_string(record.type)},
                {"tier", in::to_string(record.tier)},
                {"content_tier", in::to_string(content.product.tier)},
                {"parts", json::array()},
                {"derivation", content.report.to_json()}};
    for (const auto& part : content.product.parts) out["parts"].push_back(part.id);
    if (!args.out.empty()) out["out"] = args.out;
    print_json(out);
    return kExitOk;
  }
  fmt::print("provision recorded / 提供を記録しました: ledger seq {}\n", record.ledger_seq);
  fmt::print("  recipient / 提供先:    {} ({}, {})\n", request.recipient.id,
             in::to_string(request.recipient.recipient_class),
             in::japanese_name(request.recipient.recipient_class));
  fmt::print("  product / 成果物:      {}\n", in::describe(*product));
  fmt::print("  type / 種類:           {}\n", in::to_string(record.type));
  fmt::print("  tier / 区分:           rules of {}; content meets {}\n", tier_text(record.tier),
             tier_text(content.product.tier));
  fmt::print("  legal basis / 根拠:    {}\n", record.legal_basis);
  fmt::print("  purpose / 目的:        {}\n", record.purpose);
  if (content.embargo_until) {
    fmt::print("  embargo until / 開示禁止期限: {}\n",
               format_rfc3339_seconds(*content.embargo_until));
  }
  fmt::print("  parts given / 提供部分: {}\n", part_ids(content.product));
  if (!args.out.empty()) fmt::print("  content written to / 出力: {}\n", args.out);
  print_report(content.report);
  return kExitOk;
}

// --since and --until (RFC 3339), each error naming its option.
Result<std::pair<std::optional<Timestamp>, std::optional<Timestamp>>> time_window(
    const IntelCommands& args) {
  std::pair<std::optional<Timestamp>, std::optional<Timestamp>> window;
  if (args.since) {
    auto t = parse_rfc3339(*args.since);
    if (!t) return fail("--since: {}", t.error().message);
    window.first = *t;
  }
  if (args.until) {
    auto t = parse_rfc3339(*args.until);
    if (!t) return fail("--until: {}", t.error().message);
    window.second = *t;
  }
  return window;
}

int run_provisions(const IntelCommands& args) {
  auto session = open_intel(args, Need::inspect);
  if (!session) return report_intel_error(args, session.error());
  in::ProvisionQuery query;
  query.recipient_id = args.recipient_filter.value_or("");
  query.product_id = args.product_filter.value_or("");
  auto window = time_window(args);
  if (!window) return report_intel_error(args, window.error());
  query.since = window->first;
  query.until = window->second;
  auto provisions = session->storage->provisions(query);
  if (!provisions) return report_intel_error(args, provisions.error());
  if (args.json) {
    json out = json::array();
    for (const auto& p : *provisions) {
      out.push_back({{"ledger_seq", p.ledger_seq},
                     {"at", format_rfc3339_micros(p.at)},
                     {"recipient", p.recipient_id},
                     {"class", in::to_string(p.recipient_class)},
                     {"product", {{"id", p.product_id}, {"version", p.product_version}}},
                     {"type", in::to_string(p.type)},
                     {"tier", in::to_string(p.tier)},
                     {"legal_basis", p.legal_basis},
                     {"purpose", p.purpose},
                     {"by", p.provided_by}});
    }
    print_json(out);
    return kExitOk;
  }
  if (provisions->empty()) {
    fmt::print("no provisions / 提供の記録はありません\n");
    return kExitOk;
  }
  TextTable table({"seq", "at / 日時", "recipient / 提供先", "class / 区分", "product / 成果物",
                   "type / 種類", "tier", "purpose / 目的", "by / 提供者"});
  for (const auto& p : *provisions) {
    table.add({std::to_string(p.ledger_seq), format_rfc3339_seconds(p.at), p.recipient_id,
               std::string(in::to_string(p.recipient_class)),
               fmt::format("{} v{}", p.product_id, p.product_version),
               std::string(in::to_string(p.type)), std::string(in::to_string(p.tier)), p.purpose,
               p.provided_by});
  }
  table.print();
  return kExitOk;
}

Result<std::map<std::string, intel::stix::Tlp>> provider_wishes(
    const std::vector<std::string>& items) {
  std::map<std::string, intel::stix::Tlp> wishes;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) return fail("--provider-tlp: expected ORG=TLP, e.g. jpcert=amber");
    std::string value = item.substr(eq + 1);
    std::ranges::transform(value, value.begin(), [](unsigned char c) {
      return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    if (value.starts_with("tlp:")) value = value.substr(4);
    std::optional<intel::stix::Tlp> tlp;
    for (auto candidate : intel::stix::kAllTlp) {
      if (intel::stix::tlp_value(candidate) == value) tlp = candidate;
    }
    if (!tlp) {
      return fail("--provider-tlp: unknown TLP (clear, green, amber, amber+strict, red)");
    }
    wishes[item.substr(0, eq)] = *tlp;
  }
  return wishes;
}

int run_export_stix(const IntelCommands& args) {
  auto session = open_intel(args, Need::read);
  if (!session) return report_intel_error(args, session.error());
  auto product = load_product(*session, args.id, args.version);
  if (!product) return report_intel_error(args, product.error());
  auto tier = tier_option(args.tier.value_or(0));
  if (!tier) return report_intel_error(args, tier.error());
  auto derivation = in::derive_tier(*product, *tier);
  if (!derivation) return report_intel_error(args, derivation.error());
  in::StixExportOptions options;
  options.agency_id = session->config.agency_id;
  options.agency_name = session->config.agency_name;
  auto wishes = provider_wishes(args.provider_tlp);
  if (!wishes) return report_intel_error(args, wishes.error());
  options.provider_wishes = std::move(*wishes);
  const SystemClock clock;
  auto bundle = in::product_to_bundle(derivation->product, clock, options);
  if (!bundle) return report_intel_error(args, bundle.error());
  if (!write_text(args.out, *bundle + "\n")) {
    return report_intel_error(args, Error{fmt::format("{}: cannot write the bundle", args.out)});
  }
  const auto objects = json::parse(*bundle)["objects"].size();
  const auto tlp = in::product_tlp(derivation->product, options);
  if (args.json) {
    print_json({{"out", args.out},
                {"objects", objects},
                {"tier", in::to_string(*tier)},
                {"tlp", intel::stix::tlp_name(tlp)},
                {"derivation", derivation->report.to_json()}});
    return kExitOk;
  }
  fmt::print("{} exported at {} as a STIX 2.1 bundle / STIX 出力: {} ({} objects, {})\n",
             in::describe(*product), tier_text(*tier), args.out, objects,
             intel::stix::tlp_name(tlp));
  fmt::print(
      "note / 注意: a file is not a provision; hand it over with `mamori intel provide` so "
      "that the provision is recorded / 提供は intel provide で記録してください\n");
  print_report(derivation->report);
  return kExitOk;
}

int run_import_stix(const IntelCommands& args) {
  auto session = open_intel(args, Need::write);
  if (!session) return report_intel_error(args, session.error());
  if (!in::is_valid_organisation_id(args.provider)) {
    return report_intel_error(args,
                              Error{"--provider: not an organisation id (1..64 of [a-z0-9._-])"});
  }
  in::ConsentScope scope;
  for (const auto& name : args.consent_to) {
    auto recipient_class = in::parse_recipient_class(name);
    if (!recipient_class) {
      return report_intel_error(
          args, Error{fmt::format("--consent-to: {}", recipient_class.error().message)});
    }
    scope.recipients.push_back(*recipient_class);
  }
  scope.purposes = args.consent_for;
  auto text = read_text_file(args.file);
  if (!text) return report_intel_error(args, text.error());
  auto import = intel::stix::read_bundle(*text, args.provider);
  if (!import) {
    return report_intel_error(args,
                              Error{fmt::format("{}: {}", args.file, import.error().message)});
  }
  std::string product_id = args.product_id.value_or("");
  if (product_id.empty()) {
    // "stix-<provider>-<first 8 hex of the bundle's uuid>"
    const auto dash = import->bundle_id.find("--");
    const std::string uuid =
        dash == std::string::npos ? std::string() : import->bundle_id.substr(dash + 2, 8);
    product_id = fmt::format("stix-{}-{}", args.provider.substr(0, 48), uuid);
  }
  const SystemClock clock;
  auto imported = in::product_from_import(*import, args.provider, scope, product_id, clock.now(),
                                          session->user.name);
  std::optional<in::Product> stored;
  if (imported) {
    auto saved = session->storage->save_product(imported->product);
    if (!saved) return report_intel_error(args, saved.error());
    stored = std::move(*saved);
  }
  const bool partial = !import->errors.empty();
  if (args.json) {
    json out = {{"bundle", import->bundle_id},
                {"provider", args.provider},
                {"accepted", json::array()},
                {"rejected", json::array()},
                {"skipped", json::array()},
                {"not_stored", imported ? imported->skipped : std::vector<std::string>{}}};
    for (const auto& object : import->objects) {
      out["accepted"].push_back(
          {{"type", intel::stix::type_name(object)}, {"id", intel::stix::object_id(object)}});
    }
    for (const auto& e : import->errors) {
      out["rejected"].push_back(
          {{"index", e.index}, {"id", e.id}, {"path", e.path}, {"message", e.message}});
    }
    for (const auto& s : import->skipped) {
      out["skipped"].push_back(
          {{"index", s.index}, {"type", s.type}, {"id", s.id}, {"note", s.note}});
    }
    if (stored) {
      out["product"] = {
          {"id", stored->id}, {"version", stored->version}, {"parts", stored->parts.size()}};
    } else {
      out["product_error"] = imported.error().message;
    }
    print_json(out);
    return !imported ? kExitError : partial ? kExitPartial : kExitOk;
  }
  fmt::print(
      "STIX bundle {} from {}: {} accepted / 受理, {} rejected / 拒否, {} skipped / 対象外\n",
      import->bundle_id, args.provider, import->objects.size(), import->errors.size(),
      import->skipped.size());
  for (const auto& object : import->objects) {
    fmt::print("  accepted / 受理  {} {}\n", intel::stix::type_name(object),
               intel::stix::object_id(object));
  }
  for (const auto& e : import->errors) {
    fmt::print("  rejected / 拒否  #{} {}: {}\n", e.index, e.path, e.message);
  }
  for (const auto& s : import->skipped) {
    fmt::print("  skipped / 対象外 #{} {} {}: {}\n", s.index, s.type, s.id, s.note);
  }
  if (!imported) {
    std::fprintf(stderr, "mamori %s: %s / 指標を保存できませんでした\n", args.name.c_str(),
                 imported.error().message.c_str());
    return kExitError;
  }
  for (const auto& line : imported->skipped) fmt::print("  not stored / 未保存 {}\n", line);
  fmt::print(
      "stored as product {} v{} / 保存しました: {} indicator parts labelled provider:{} (partner "
      "indicators are kept as a T1 product of provider-labelled parts)\n",
      stored->id, stored->version, stored->parts.size(), args.provider);
  return partial ? kExitPartial : kExitOk;
}

// The [taxii] section, read as mamorid reads it.
Result<server::TaxiiConfig> load_taxii(const std::string& config_path) {
  auto file = ConfigFile::load(config_path);
  if (!file) return fail(file.error());
  return server::load_taxii_config(*file);
}

Result<const server::TaxiiCollection*> collection_of(const server::TaxiiConfig& taxii,
                                                     const std::string& id,
                                                     const std::string& config_path) {
  const server::TaxiiCollection* collection = taxii.collection(id);
  if (collection == nullptr) {
    return fail(
        "--collection: no collection '{}' in the [[taxii.collections]] of {} / "
        "そのコレクションはありません",
        governance::detail::printable(id), config_path);
  }
  return collection;
}

std::string collection_text(const server::TaxiiCollection& collection) {
  return fmt::format("{} ('{}', T{})", collection.id, collection.title, collection.tier);
}

// What publishing will store, prepared inside provide()'s release check (before the provision
// is recorded) and added to the collection after it.
struct Publication {
  std::vector<server::NewObject> objects;
  intel::stix::Tlp tlp = intel::stix::Tlp::kRed;
};

// The release check of a publication: the tier the rules decided must be the collection's, and
// the STIX objects of the content must carry markings the collection's tier allows. It fills
// `out` with the objects to store.
in::ReleaseCheck publication_check(const server::TaxiiCollection& collection,
                                   const in::StixExportOptions& options, const Clock& clock,
                                   Publication& out) {
  return [&collection, &options, &clock, &out](
             const in::ProvisionDecision& decision,
             const in::ProvisionContent& content) -> std::optional<in::ReleaseRefusal> {
    const int decided = decision.tier == in::Tier::t1 ? 1 : decision.tier == in::Tier::t2 ? 2 : 3;
    if (decided != collection.tier) {
      return in::ReleaseRefusal{
          in::ProvisionRefusal::tier_not_allowed,
          fmt::format("collection {} holds T{}; the dissemination rules give its audience {}",
                      collection.id, collection.tier, in::to_string(decision.tier))};
    }
    auto objects = in::product_to_stix(content.product, clock, options);
    if (!objects) {
      return in::ReleaseRefusal{in::ProvisionRefusal::derivation_failed,
                                fmt::format("STIX: {}", objects.error().message)};
    }
    out.tlp = in::product_tlp(content.product, options);
    // The marking definition first, as a bundle would hold it, then the objects.
    objects->insert(objects->begin(), intel::stix::tlp_marking(out.tlp));
    out.objects.clear();
    for (const auto& object : *objects) {
      auto row = server::new_object(object);
      if (!row) {
        return in::ReleaseRefusal{in::ProvisionRefusal::derivation_failed,
                                  fmt::format("STIX: {}", row.error().message)};
      }
      if (auto allowed = server::check_collection_tier(*row, collection.tier); !allowed) {
        return in::ReleaseRefusal{
            in::ProvisionRefusal::tier_not_allowed,
            fmt::format("collection {}: {}", collection.id, allowed.error().message)};
      }
      out.objects.push_back(std::move(*row));
    }
    return std::nullopt;
  };
}

int run_publish(const IntelCommands& args) {
  auto session = open_intel(args, Need::write);
  if (!session) return report_intel_error(args, session.error());
  auto taxii = load_taxii(args.config);
  if (!taxii) return report_intel_error(args, taxii.error());
  auto collection = collection_of(*taxii, args.collection, args.config);
  if (!collection) return report_intel_error(args, collection.error());
  auto recipient = server::collection_recipient(**collection);
  if (!recipient) return report_intel_error(args, recipient.error());
  auto product = load_product(*session, args.id, args.version);
  if (!product) return report_intel_error(args, product.error());
  if (auto declared = declared_purpose(*session, args.purpose); !declared) {
    return report_intel_error(args, declared.error());
  }
  in::StixExportOptions options;
  options.agency_id = session->config.agency_id;
  options.agency_name = session->config.agency_name;
  auto wishes = provider_wishes(args.provider_tlp);
  if (!wishes) return report_intel_error(args, wishes.error());
  options.provider_wishes = std::move(*wishes);
  // The server's database opens before anything is recorded, so that a provision is not
  // recorded for a collection that cannot take it.
  const SystemClock clock;
  auto store = server::TaxiiStore::open(taxii->database, clock);
  if (!store) return report_intel_error(args, store.error());

  in::ProvisionRequest request;
  request.recipient = std::move(*recipient);
  request.tier = (*collection)->tier == 1   ? in::Tier::t1
                 : (*collection)->tier == 2 ? in::Tier::t2
                                            : in::Tier::t3;
  request.legal_basis = args.legal_basis;
  request.purpose = args.purpose;
  request.requested_by = session->user.name;

  Publication publication;
  in::ProvisionServices services{*session->installation->ledger, *session->storage, clock, {}};
  services.release_check = publication_check(**collection, options, clock, publication);
  auto provision = in::provide(*product, request, services);
  if (!provision) {
    return report_intel_error(
        args, Error{fmt::format("{} / 公開は拒否され、記録されました; nothing was added to "
                                "collection {}",
                                provision.error().message, (*collection)->id)});
  }
  const auto& record = provision->record;
  auto outcomes = (*store)->add((*collection)->id, publication.objects, "");
  if (!outcomes) {
    // Recorded but not released: the ledger over-states, never under-states, what was given.
    return report_intel_error(
        args, Error{fmt::format("the provision is recorded (ledger seq {}) but storing its {} "
                                "objects in collection {} failed, so none was added: {} / "
                                "記録済みですが格納できませんでした",
                                record.ledger_seq, publication.objects.size(), (*collection)->id,
                                outcomes.error().message)});
  }
  const auto added =
      static_cast<std::size_t>(std::ranges::count(*outcomes, server::AddOutcome::kAdded));
  const auto& content = provision->content;
  if (args.json) {
    json out = {{"ledger_seq", record.ledger_seq},
                {"collection", {{"id", (*collection)->id}, {"title", (*collection)->title}}},
                {"recipient", request.recipient.id},
                {"class", in::to_string(request.recipient.recipient_class)},
                {"product", {{"id", product->id}, {"version", product->version}}},
                {"tier", in::to_string(record.tier)},
                {"tlp", intel::stix::tlp_name(publication.tlp)},
                {"objects", publication.objects.size()},
                {"added", added},
                {"already_present", publication.objects.size() - added},
                {"parts", json::array()},
                {"derivation", content.report.to_json()}};
    for (const auto& part : content.product.parts) out["parts"].push_back(part.id);
    print_json(out);
    return kExitOk;
  }
  fmt::print("published / 公開しました: {} into collection {}\n", in::describe(*product),
             collection_text(**collection));
  fmt::print("  provision / 提供:      ledger seq {} to {} '{}' ({})\n", record.ledger_seq,
             in::to_string(request.recipient.recipient_class), request.recipient.id,
             in::japanese_name(request.recipient.recipient_class));
  fmt::print("  tier / 区分:           {}, {}\n", tier_text(record.tier),
             intel::stix::tlp_name(publication.tlp));
  fmt::print("  objects / オブジェクト: {} STIX 2.1 objects ({} added, {} already present)\n",
             publication.objects.size(), added, publication.objects.size() - added);
  fmt::print("  parts given / 提供部分: {}\n", part_ids(content.product));
  print_report(content.report);
  return kExitOk;
}

int run_deliveries(const IntelCommands& args) {
  auto session = open_intel(args, Need::audit);
  if (!session) return report_intel_error(args, session.error());
  auto taxii = load_taxii(args.config);
  if (!taxii) return report_intel_error(args, taxii.error());
  server::DeliveryFilter filter;
  if (args.collection_filter) {
    auto collection = collection_of(*taxii, *args.collection_filter, args.config);
    if (!collection) return report_intel_error(args, collection.error());
    filter.collection_id = (*collection)->id;
  }
  filter.member = args.member_filter.value_or("");
  auto window = time_window(args);
  if (!window) return report_intel_error(args, window.error());
  filter.since = window->first;
  filter.until = window->second;
  std::error_code ec;
  if (!std::filesystem::exists(taxii->database, ec)) {
    return report_intel_error(
        args, Error{fmt::format("TAXII database '{}' does not exist: mamorid has not run with "
                                "this configuration / TAXII データベースがありません",
                                taxii->database)});
  }
  const SystemClock clock;
  auto store = server::TaxiiStore::open(taxii->database, clock);
  if (!store) return report_intel_error(args, store.error());
  auto deliveries = (*store)->deliveries(filter);
  if (!deliveries) return report_intel_error(args, deliveries.error());
  auto date_added = [](std::int64_t micros) {
    return format_rfc3339_micros(Timestamp::from_micros(micros));
  };
  if (args.json) {
    json out = json::array();
    for (const auto& d : *deliveries) {
      out.push_back({{"seq", d.seq},
                     {"at", format_rfc3339_micros(d.at)},
                     {"member", d.member},
                     {"collection", d.collection_id},
                     {"objects", d.objects},
                     {"first_date_added", date_added(d.first_date_added)},
                     {"last_date_added", date_added(d.last_date_added)}});
    }
    print_json(out);
    return kExitOk;
  }
  if (deliveries->empty()) {
    fmt::print("no deliveries / 配信の記録はありません\n");
    return kExitOk;
  }
  TextTable table({"seq", "at / 日時", "member / 会員", "collection / コレクション",
                   "objects / 件数", "date_added first / 最初", "date_added last / 最後"});
  std::size_t total = 0;
  for (const auto& d : *deliveries) {
    const server::TaxiiCollection* collection = taxii->collection(d.collection_id);
    table.add({std::to_string(d.seq), format_rfc3339_seconds(d.at), d.member,
               collection != nullptr ? fmt::format("{} ({})", d.collection_id, collection->title)
                                     : d.collection_id,
               std::to_string(d.objects), date_added(d.first_date_added),
               date_added(d.last_date_added)});
    total += d.objects;
  }
  table.print();
  fmt::print("{} deliveries, {} objects / 配信 {} 件, オブジェクト {} 件\n", deliveries->size(),
             total, deliveries->size(), total);
  return kExitOk;
}

CLI::App* command(CLI::App* parent, const char* name, const char* description,
                  IntelCommands& commands, IntelCommand which, std::string full_name) {
  auto* sub = parent->add_subcommand(name, description);
  sub->callback([&commands, which, full_name = std::move(full_name)] {
    commands.chosen = which;
    commands.name = full_name;
  });
  sub->add_option("--config", commands.config, "mamori.toml")->required();
  add_identity_options(sub, commands);
  sub->add_flag("--json", commands.json, "Print JSON");
  return sub;
}

}  // namespace

void add_intel_commands(CLI::App& app, IntelCommands& c) {
  auto* intel =
      app.add_subcommand("intel", "Intelligence products and provision / 総合整理分析情報と提供");
  intel->require_subcommand(1);

  auto* product = intel->add_subcommand("product", "Products / 成果物");
  product->require_subcommand(1);
  command(product, "put", "Analyst: store a T1 product from JSON as a new version", c,
          IntelCommand::product_put, "intel product put")
      ->add_option("file", c.file, "product.json")
      ->required();
  command(product, "list", "The latest version of every product", c, IntelCommand::product_list,
          "intel product list");
  auto* show = command(product, "show", "A product, or its T2/T3 derivation with the report", c,
                       IntelCommand::product_show, "intel product show");
  show->add_option("id", c.id, "Product id")->required();
  show->add_option("--version", c.version, "Version (default: the latest)");
  show->add_option("--tier", c.tier, "Derive tier 2 or 3");

  auto* provide = command(intel, "provide", "Analyst: provide a product to a recipient (recorded)",
                          c, IntelCommand::provide, "intel provide");
  provide->add_option("id", c.id, "Product id")->required();
  provide->add_option("--version", c.version, "Version (default: the latest)");
  provide->add_option("--recipient", c.recipient_file, "recipient.json");
  provide->add_option("--recipient-id", c.recipient_id, "Recipient organisation id");
  provide->add_option("--recipient-class", c.recipient_class,
                      "agency, foreign_government, council_member, designated_operator, public, "
                      "vendor, measure_agency, agreement_party, telecom_operator");
  provide->add_option("--recipient-name", c.recipient_name, "Recipient name");
  provide->add_flag("--council-member", c.council_member, "The recipient is a council member");
  provide->add_option("--obligation", c.obligation,
                      "Reference of the confidentiality obligation it accepted (守秘義務)");
  provide->add_option("--own-prefix", c.own_prefixes, "Own/equipment prefix (repeatable)");
  provide->add_option("--type", c.type, "Provision type (checked against the recipient's class)");
  provide->add_option("--tier", c.tier, "Tier asked for (default: the highest allowed)");
  provide->add_option("--legal-basis", c.legal_basis, "Legal basis / 根拠")->required();
  provide->add_option("--purpose", c.purpose, "Purpose id / 目的")->required();
  provide->add_option("--confirmation", c.confirmation_file,
                      "Foreign governments: confirmation of equivalent protection (JSON)");
  provide->add_option("--measure", c.measure_id, "Measure agencies: the approved measure id");
  provide->add_option("--part", c.parts, "Measure agencies: a selected part id (repeatable)");
  provide->add_option("--via", c.via, "Telecom operators: the ministry relaying it");
  provide->add_option("--out", c.out, "Write the content handed over (JSON)");

  auto* provisions = command(intel, "provisions", "Provisions made / 提供の記録", c,
                             IntelCommand::provisions, "intel provisions");
  provisions->add_option("--recipient", c.recipient_filter, "Only this recipient id");
  provisions->add_option("--product", c.product_filter, "Only this product id");
  provisions->add_option("--since", c.since, "From (RFC 3339)");
  provisions->add_option("--until", c.until, "Until, exclusive (RFC 3339)");

  auto* export_stix =
      command(intel, "export-stix", "Write a tier of a product as a STIX 2.1 bundle", c,
              IntelCommand::export_stix, "intel export-stix");
  export_stix->add_option("id", c.id, "Product id")->required();
  export_stix->add_option("--version", c.version, "Version (default: the latest)");
  export_stix->add_option("--tier", c.tier, "1, 2 or 3")->required();
  export_stix->add_option("--out", c.out, "bundle.json")->required();
  export_stix->add_option("--provider-tlp", c.provider_tlp,
                          "A provider's TLP wish, ORG=clear|green|amber|amber+strict|red "
                          "(repeatable)");

  auto* publish =
      command(intel, "publish",
              "Analyst: publish a product into a TAXII collection (a provision to its audience)", c,
              IntelCommand::publish, "intel publish");
  publish->add_option("--id", c.id, "Product id")->required();
  publish->add_option("--version", c.version, "Version (default: the latest)");
  publish->add_option("--collection", c.collection, "Collection id ([[taxii.collections]])")
      ->required();
  publish->add_option("--legal-basis", c.legal_basis, "Legal basis / 根拠")->required();
  publish->add_option("--purpose", c.purpose, "Purpose id / 目的")->required();
  publish->add_option("--provider-tlp", c.provider_tlp,
                      "A provider's TLP wish, ORG=clear|green|amber|amber+strict|red "
                      "(repeatable)");

  auto* deliveries =
      command(intel, "deliveries", "Overseer/admin: members' fetches from TAXII collections", c,
              IntelCommand::deliveries, "intel deliveries");
  deliveries->add_option("--collection", c.collection_filter, "Only this collection id");
  deliveries->add_option("--member", c.member_filter, "Only this member");
  deliveries->add_option("--since", c.since, "From (RFC 3339)");
  deliveries->add_option("--until", c.until, "Until, exclusive (RFC 3339)");

  auto* import_stix = command(intel, "import-stix", "Analyst: import a partner's STIX 2.1 bundle",
                              c, IntelCommand::import_stix, "intel import-stix");
  import_stix->add_option("file", c.file, "bundle.json")->required();
  import_stix->add_option("--provider", c.provider, "The organisation that sent it")->required();
  import_stix->add_option("--consent-to", c.consent_to,
                          "Recipient classes the provider allows (repeatable)");
  import_stix->add_option("--consent-for", c.consent_for,
                          "Purposes the provider allows (repeatable; * = any)");
  import_stix->add_option("--product-id", c.product_id, "Store as this product id");
}

std::optional<int> run_intel_commands(const IntelCommands& c) {
  switch (c.chosen) {
    case IntelCommand::none:
      return std::nullopt;
    case IntelCommand::product_put:
      return run_product_put(c);
    case IntelCommand::product_list:
      return run_product_list(c);
    case IntelCommand::product_show:
      return run_product_show(c);
    case IntelCommand::provide:
      return run_provide(c);
    case IntelCommand::provisions:
      return run_provisions(c);
    case IntelCommand::export_stix:
      return run_export_stix(c);
    case IntelCommand::import_stix:
      return run_import_stix(c);
    case IntelCommand::publish:
      return run_publish(c);
    case IntelCommand::deliveries:
      return run_deliveries(c);
  }
  return std::nullopt;
}

}  // namespace mamori::cli
