#include "mamori/server/taxii_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <httplib.h>
#include <openssl/ssl.h>
#include <sodium.h>
#include <nlohmann/json.hpp>

#include "mamori/intel/stix.h"
#include "mamori/intel/stix_reader.h"
#include "mamori/server/http_parser.h"
#include "mamori/server/https_event_server.h"

namespace mamori::server {
namespace {

using nlohmann::json;

constexpr std::string_view kRealm = R"(Basic realm="mamori TAXII", charset="UTF-8")";

// A TAXII error message resource.
void send_error(httplib::Response& res, int status, std::string_view description) {
  json body = json::object();
  body["title"] = std::string(http::status_reason(status));
  if (!description.empty()) body["description"] = std::string(description);
  body["http_status"] = std::to_string(status);
  res.status = status;
  res.set_content(body.dump(), std::string(kTaxiiMediaType));
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

// "application/taxii+json; version=2.1" → type "application/taxii+json", version "2.1".
struct MediaRange {
  std::string type;
  std::optional<std::string> version;
};

MediaRange parse_media_range(std::string_view text) {
  const auto parts = split(text, ';');
  MediaRange range{lower(trim(parts.front())), std::nullopt};
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string_view param = trim(parts[i]);
    const std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (lower(trim(param.substr(0, eq))) == "version") {
      std::string_view value = trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      range.version = std::string(value);
    }
  }
  return range;
}

bool is_taxii21(const MediaRange& range) {
  return range.type == "application/taxii+json" && (!range.version || *range.version == "2.1");
}

// No Accept header means any type (RFC 9110); otherwise one range must admit TAXII 2.1.
bool accepts_taxii(std::string_view accept) {
  if (trim(accept).empty()) return true;
  return std::ranges::any_of(split(accept, ','), [](std::string_view item) {
    const MediaRange range = parse_media_range(item);
    return range.type == "*/*" || range.type == "application/*" || is_taxii21(range);
  });
}

std::string date_text(std::int64_t micros) {
  return format_rfc3339_micros(Timestamp::from_micros(micros));
}

// Values of a query parameter, each possibly a comma-separated list (TAXII 2.1 §3.4).
std::vector<std::string> param_values(const httplib::Request& req, const char* key) {
  std::vector<std::string> out;
  const std::size_t n = req.get_param_value_count(key);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string value = req.get_param_value(key, i);  // split() returns views into it
    for (std::string_view part : split(value, ',')) {
      part = trim(part);
      if (!part.empty()) out.emplace_back(part);
    }
  }
  return out;
}

Result<std::int64_t> parse_decimal(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value < 0) {
    return fail("not a non-negative integer");
  }
  return value;
}

enum class FilterUse { kObjects, kObject, kVersions };

Result<ObjectFilter> parse_filter(const httplib::Request& req, FilterUse use,
                                  std::size_t max_page) {
  ObjectFilter filter;
  filter.limit = max_page;
  if (req.has_param("limit")) {
    auto limit = parse_decimal(req.get_param_value("limit"));
    if (!limit || *limit == 0) return fail("limit must be a positive integer");
    filter.limit = std::min(static_cast<std::size_t>(*limit), max_page);
  }
  if (req.has_param("added_after")) {
    auto after = parse_rfc3339(req.get_param_value("added_after"));
    if (!after) return fail("added_after must be an RFC 3339 timestamp");
    filter.added_after = after->micros();
  }
  if (req.has_param("next")) {
    auto cursor = parse_decimal(req.get_param_value("next"));
    if (!cursor) return fail("next is not a value this server handed out");
    filter.after_date_added = *cursor;
  }
  filter.spec_versions = param_values(req, "match[spec_version]");
  for (const auto& v : filter.spec_versions) {
    if (v != "2.0" && v != "2.1") return fail("match[spec_version] must be 2.0 or 2.1");
  }
  if (use == FilterUse::kObjects) {
    filter.ids = param_values(req, "match[id]");
    filter.types = param_values(req, "match[type]");
  }
  if (use == FilterUse::kVersions) {
    filter.version = VersionMatch::kAll;
    return filter;
  }
  const auto versions = param_values(req, "match[version]");
  const auto has = [&](std::string_view v) {
    return std::ranges::find(versions, v) != versions.end();
  };
  // The default is "last" (TAXII 2.1 §3.4.2).
  if (versions.empty() || (versions.size() == 1 && versions.front() == "last")) {
    filter.version = VersionMatch::kLast;
  } else if (has("all")) {
    filter.version = VersionMatch::kAll;
  } else if (versions.size() == 1 && versions.front() == "first") {
    filter.version = VersionMatch::kFirst;
  } else {
    filter.version = VersionMatch::kListed;
    for (const auto& v : versions) {
      auto t = intel::stix::parse_timestamp(v);
      if (!t) {
        return fail(
            "match[version] must be 'all', 'last', 'first' or a list of STIX timestamps "
            "(this server does not combine keywords with timestamps)");
      }
      filter.versions.push_back(*t);
    }
  }
  return filter;
}

void set_date_headers(httplib::Response& res, const ObjectPage& page) {
  if (page.objects.empty()) return;
  res.set_header("X-TAXII-Date-Added-First", date_text(page.objects.front().date_added));
  res.set_header("X-TAXII-Date-Added-Last", date_text(page.objects.back().date_added));
}

std::string page_cursor(const ObjectPage& page) {
  return std::to_string(page.objects.back().date_added);
}

// The envelope is assembled from the stored JSON texts without re-parsing them.
std::string envelope(const ObjectPage& page) {
  std::size_t size = 64;
  for (const auto& o : page.objects) size += o.json.size() + 1;
  std::string body;
  body.reserve(size);
  body += page.more ? R"({"more":true,"next":")" + page_cursor(page) + "\"" : R"({"more":false)";
  if (!page.objects.empty()) {
    body += R"(,"objects":[)";
    for (std::size_t i = 0; i < page.objects.size(); ++i) {
      if (i != 0) body += ',';
      body += page.objects[i].json;
    }
    body += ']';
  }
  body += '}';
  return body;
}

json list_resource(const ObjectPage& page, const char* key, json items) {
  json body = json::object();
  body["more"] = page.more;
  if (page.more) body["next"] = page_cursor(page);
  if (!items.empty()) body[key] = std::move(items);
  return body;
}

bool is_host_header(std::string_view host) {
  return !host.empty() && host.size() < 256 && std::ranges::all_of(host, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']';
  });
}

}  // namespace

struct TaxiiServer::Impl {
  TaxiiConfig config;
  TaxiiStore* store = nullptr;
  const Clock* clock = nullptr;
  int port = 0;
  std::unique_ptr<HttpsServer> http;  // stopped by ~TaxiiServer before the members go

  // Keyed digests of passwords that verified, per member (see the header).
  std::array<unsigned char, crypto_generichash_KEYBYTES> cache_key{};
  std::mutex cache_mutex;
  std::unordered_map<std::string, std::array<unsigned char, 32>> verified;

  std::array<unsigned char, 32> digest(std::string_view password) const {
    std::array<unsigned char, 32> out{};
    crypto_generichash(out.data(), out.size(),
                       reinterpret_cast<const unsigned char*>(password.data()), password.size(),
                       cache_key.data(), cache_key.size());
    return out;
  }

  const TaxiiMember* authenticate(const httplib::Request& req) {
    const std::string header = req.get_header_value("Authorization");
    if (header.size() < 7 || lower(std::string_view(header).substr(0, 6)) != "basic ") {
      return nullptr;
    }
    const std::string_view encoded = trim(std::string_view(header).substr(6));
    if (encoded.empty() || encoded.size() > 1024) return nullptr;
    std::string decoded(encoded.size(), '\0');
    std::size_t length = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                          encoded.data(), encoded.size(), nullptr, &length, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
      return nullptr;
    }
    decoded.resize(length);
    const std::size_t colon = decoded.find(':');
    if (colon == std::string::npos) return nullptr;
    const std::string_view name = std::string_view(decoded).substr(0, colon);
    const std::string_view password = std::string_view(decoded).substr(colon + 1);
    const TaxiiMember* member = config.member(name);
    if (member == nullptr && !config.members.empty()) {
      // An unknown name costs the same argon2 verification as a wrong password (against some
      // member's hash; the result is discarded), so timing does not tell which names exist.
      [[maybe_unused]] const int ignored = crypto_pwhash_str_verify(
          config.members.front().password_hash.c_str(), password.data(), password.size());
    }
    if (member == nullptr || password.empty()) return nullptr;
    const auto mac = digest(password);
    {
      std::scoped_lock lock(cache_mutex);
      auto it = verified.find(member->name);
      if (it != verified.end() && sodium_memcmp(it->second.data(), mac.data(), mac.size()) == 0) {
        return member;
      }
    }
    if (crypto_pwhash_str_verify(member->password_hash.c_str(), password.data(), password.size()) !=
        0) {
      return nullptr;
    }
    std::scoped_lock lock(cache_mutex);
    verified[member->name] = mac;
    return member;
  }

  const TaxiiCollection* visible(std::string_view id, const TaxiiMember& member) const {
    const TaxiiCollection* collection = config.collection(id);
    if (collection == nullptr || !tier_allows(member.tier, collection->tier)) return nullptr;
    return collection;
  }

  json collection_resource(const TaxiiCollection& c, const TaxiiMember& member) const {
    json body = json::object();
    body["id"] = c.id;
    body["title"] = c.title;
    if (!c.description.empty()) body["description"] = c.description;
    body["can_read"] = c.can_read;
    body["can_write"] = c.can_write && member.can_write;
    body["media_types"] = json::array({std::string(kStixMediaType)});
    return body;
  }

  std::string root_url(const httplib::Request& req) const {
    std::string host = req.get_header_value("Host");
    if (!is_host_header(host)) host = fmt::format("{}:{}", config.address, port);
    return fmt::format("https://{}/{}/", host, config.api_root);
  }

  static void send_json(httplib::Response& res, const json& body, int status = 200) {
    res.status = status;
    res.set_content(body.dump(), std::string(kTaxiiMediaType));
  }

  void handle(const httplib::Request& req, httplib::Response& res, bool post) {
    res.set_header("Cache-Control", "no-store");
    const TaxiiMember* member = authenticate(req);
    if (member == nullptr) {
      res.set_header("WWW-Authenticate", std::string(kRealm));
      send_error(res, 401, "valid member credentials (HTTP Basic) are required");
      return;
    }
    if (!accepts_taxii(req.get_header_value("Accept"))) {
      send_error(res, 406, "this server answers application/taxii+json;version=2.1 only");
      return;
    }
    std::vector<std::string_view> segments;
    for (std::string_view s : split(req.path, '/')) {
      if (!s.empty()) segments.push_back(s);
    }
    const std::size_t n = segments.size();
    const bool objects_endpoint = n == 4 && segments[0] == config.api_root &&
                                  segments[1] == "collections" && segments[3] == "objects";
    if (post && !objects_endpoint) {
      // Only the objects endpoint of a visible collection takes POST; elsewhere 404 when the
      // target is unknown to the member, else 405.
      send_error(res, 405, "only a collection's objects endpoint accepts POST");
      return;
    }
    if (n == 1 && segments[0] == "taxii2") return discovery(req, res);
    if (n == 0 || segments[0] != config.api_root) {
      send_error(res, 404, "no such API root");
      return;
    }
    if (n == 1) return api_root(res);
    if (n == 3 && segments[1] == "status") return status(res, segments[2], *member);
    if (segments[1] != "collections") {
      send_error(res, 404, "no such resource");
      return;
    }
    if (n == 2) return collections(res, *member);
    const TaxiiCollection* collection = visible(segments[2], *member);
    if (collection == nullptr) {
      send_error(res, 404, "no such collection");
      return;
    }
    if (n == 3) return send_json(res, collection_resource(*collection, *member));
    if (n == 4 && segments[3] == "objects") {
      if (post) return add_objects(req, res, *collection, *member);
      return get_objects(req, res, *collection, *member, FilterUse::kObjects, {});
    }
    if (n == 4 && segments[3] == "manifest") return manifest(req, res, *collection, *member);
    if (segments[3] == "objects" && (n == 5 || (n == 6 && segments[5] == "versions"))) {
      if (!intel::stix::is_valid_id(segments[4])) {
        send_error(res, 404, "no such object");
        return;
      }
      if (n == 5) {
        return get_objects(req, res, *collection, *member, FilterUse::kObject, segments[4]);
      }
      return versions(req, res, *collection, *member, segments[4]);
    }
    send_error(res, 404, "no such resource");
  }

  void discovery(const httplib::Request& req, httplib::Response& res) const {
    json body = json::object();
    body["title"] = config.title;
    if (!config.description.empty()) body["description"] = config.description;
    if (!config.contact.empty()) body["contact"] = config.contact;
    const std::string url = root_url(req);
    body["default"] = url;
    body["api_roots"] = json::array({url});
    send_json(res, body);
  }

  void api_root(httplib::Response& res) const {
    json body = json::object();
    body["title"] = config.api_root_title;
    body["versions"] = json::array({std::string(kTaxiiMediaType)});
    body["max_content_length"] = config.max_content_length;
    send_json(res, body);
  }

  void collections(httplib::Response& res, const TaxiiMember& member) const {
    json list = json::array();
    for (const TaxiiCollection& c : config.collections) {
      if (tier_allows(member.tier, c.tier)) list.push_back(collection_resource(c, member));
    }
    json body = json::object();
    if (!list.empty()) body["collections"] = std::move(list);
    send_json(res, body);
  }

  // Reads need can_read; filters come from the query; errors become 400.
  // The provider labels whose contributions `member` may receive: all for the government
  // (tier 1, to which every contribution is provided), else its own and those of members that
  // consented to share theirs.
  std::optional<std::vector<std::string>> visible_providers(const TaxiiMember& member) const {
    if (member.tier == 1) return std::nullopt;
    std::vector<std::string> labels;
    for (const TaxiiMember& m : config.members) {
      if (&m == &member || m.share_contributions) labels.push_back("provider:" + m.name);
    }
    return labels;
  }

  std::optional<ObjectPage> read_page(const httplib::Request& req, httplib::Response& res,
                                      const TaxiiCollection& collection, const TaxiiMember& member,
                                      FilterUse use, std::string_view object_id, bool with_json) {
    if (!collection.can_read) {
      send_error(res, 403, "this collection cannot be read");
      return std::nullopt;
    }
    auto filter = parse_filter(req, use, config.max_page_size);
    if (!filter) {
      send_error(res, 400, filter.error().message);
      return std::nullopt;
    }
    if (use != FilterUse::kObjects) filter->ids = {std::string(object_id)};
    filter->providers = visible_providers(member);
    auto page = store->objects(collection.id, *filter, with_json);
    if (!page) {
      send_error(res, 500, "the object store failed");
      return std::nullopt;
    }
    if (use != FilterUse::kObjects && page->objects.empty() && !filter->added_after &&
        !filter->after_date_added) {
      // Distinguish an unknown object from a filter that matched no version of it.
      ObjectFilter any;
      any.ids = filter->ids;
      any.version = VersionMatch::kAll;
      any.limit = 1;
      any.providers = filter->providers;
      auto exists = store->objects(collection.id, any, false);
      if (!exists || exists->objects.empty()) {
        send_error(res, 404, "no such object");
        return std::nullopt;
      }
    }
    return std::move(*page);
  }

  void get_objects(const httplib::Request& req, httplib::Response& res,
                   const TaxiiCollection& collection, const TaxiiMember& member, FilterUse use,
                   std::string_view object_id) {
    auto page = read_page(req, res, collection, member, use, object_id, true);
    if (!page) return;
    if (!page->objects.empty()) {
      // A delivery that cannot be logged is not made (taxii_server.h).
      Delivery delivery;
      delivery.at = clock->now();
      delivery.member = member.name;
      delivery.collection_id = collection.id;
      delivery.objects = page->objects.size();
      delivery.first_date_added = page->objects.front().date_added;
      delivery.last_date_added = page->objects.back().date_added;
      if (auto logged = store->record_delivery(delivery); !logged) {
        send_error(res, 500, "the delivery log failed; nothing was served");
        return;
      }
    }
    set_date_headers(res, *page);
    res.status = 200;
    res.set_content(envelope(*page), std::string(kTaxiiMediaType));
  }

  void manifest(const httplib::Request& req, httplib::Response& res,
                const TaxiiCollection& collection, const TaxiiMember& member) {
    auto page = read_page(req, res, collection, member, FilterUse::kObjects, {}, false);
    if (!page) return;
    json items = json::array();
    for (const StoredObject& o : page->objects) {
      items.push_back({{"id", o.id},
                       {"date_added", date_text(o.date_added)},
                       {"version", o.version_text},
                       {"media_type", std::string(kStixMediaType)}});
    }
    set_date_headers(res, *page);
    send_json(res, list_resource(*page, "objects", std::move(items)));
  }

  void versions(const httplib::Request& req, httplib::Response& res,
                const TaxiiCollection& collection, const TaxiiMember& member,
                std::string_view object_id) {
    auto page = read_page(req, res, collection, member, FilterUse::kVersions, object_id, false);
    if (!page) return;
    json items = json::array();
    for (const StoredObject& o : page->objects) items.push_back(o.version_text);
    set_date_headers(res, *page);
    send_json(res, list_resource(*page, "versions", std::move(items)));
  }

  void status(httplib::Response& res, std::string_view id, const TaxiiMember& member) {
    if (!is_uuid(id)) {
      send_error(res, 404, "no such status resource");
      return;
    }
    auto record = store->status(id);
    if (!record) {
      send_error(res, 500, "the status store failed");
      return;
    }
    // Another member's status is as unknown as a missing one.
    if (!*record || (*record)->member != member.name) {
      send_error(res, 404, "no such status resource");
      return;
    }
    res.status = 200;
    res.set_content((*record)->json, std::string(kTaxiiMediaType));
  }

  void add_objects(const httplib::Request& req, httplib::Response& res,
                   const TaxiiCollection& collection, const TaxiiMember& member) {
    if (!collection.can_write || !member.can_write) {
      send_error(res, 403,
                 collection.can_write ? "this member may not contribute objects"
                                      : "this collection does not accept objects");
      return;
    }
    if (!is_taxii21(parse_media_range(req.get_header_value("Content-Type")))) {
      send_error(res, 415, "POST bodies must be application/taxii+json;version=2.1");
      return;
    }
    if (req.body.size() > config.max_content_length) {
      send_error(res, 413, "the body is larger than max_content_length");
      return;
    }
    json envelope_json = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (envelope_json.is_discarded()) {
      send_error(res, 400, "the body is not valid JSON");
      return;
    }
    const auto objects =
        envelope_json.is_object() ? envelope_json.find("objects") : envelope_json.end();
    if (!envelope_json.is_object() || objects == envelope_json.end() || !objects->is_array() ||
        objects->empty()) {
      send_error(res, 422, "the body must be an envelope with a non-empty 'objects' array");
      return;
    }
    json bundle = json::object();
    bundle["type"] = "bundle";
    bundle["id"] = intel::stix::new_id("bundle");
    bundle["objects"] = *objects;
    std::string bundle_text;
    try {
      bundle_text = bundle.dump();
    } catch (const json::exception&) {
      send_error(res, 422, "the objects are not valid UTF-8");
      return;
    }
    auto imported = intel::stix::read_bundle(bundle_text, member.name);
    if (!imported) {
      send_error(res, 422, imported.error().message);
      return;
    }

    const std::size_t total = objects->size();
    std::vector<std::string> rejected(total);  // empty: accepted
    for (const auto& e : imported->errors) {
      if (e.index < total && rejected[e.index].empty()) rejected[e.index] = e.message;
    }
    for (const auto& s : imported->skipped) {
      if (s.index < total && rejected[s.index].empty()) {
        rejected[s.index] = fmt::format("/objects/{}: not accepted: {}", s.index, s.note);
      }
    }
    std::vector<NewObject> accepted;
    std::vector<std::size_t> accepted_index;
    for (std::size_t i = 0; i < total; ++i) {
      if (!rejected[i].empty()) continue;
      auto object = new_object_from_json((*objects)[i].dump());
      if (!object) {
        rejected[i] = fmt::format("/objects/{}: {}", i, object.error().message);
        continue;
      }
      if (object->spec_version != "2.1") {
        rejected[i] = fmt::format("/objects/{}: spec_version must be 2.1", i);
        continue;
      }
      // The collection's tier bounds the markings it holds, whoever contributes.
      if (auto allowed = check_collection_tier(*object, collection.tier); !allowed) {
        rejected[i] = fmt::format("/objects/{}: {}", i, allowed.error().message);
        continue;
      }
      accepted.push_back(std::move(*object));
      accepted_index.push_back(i);
    }
    auto outcomes = store->add(collection.id, accepted, intel::stix::provider_label(member.name));
    if (!outcomes) {
      send_error(res, 500, "the object store failed; nothing was stored");
      return;
    }

    auto detail = [&](std::size_t i, const std::string& message) {
      const json& o = (*objects)[i];
      json d = json::object();
      auto text = [&](const char* key) -> std::string {
        if (!o.is_object()) return {};
        auto it = o.find(key);
        return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      const std::string id = text("id");
      d["id"] = intel::stix::is_valid_id(id) ? id : std::string();
      std::string version = text("modified");
      if (version.empty()) version = text("created");
      d["version"] = intel::stix::parse_timestamp(version) ? version : std::string();
      if (!message.empty()) d["message"] = message;
      return d;
    };
    json successes = json::array();
    json failures = json::array();
    for (std::size_t k = 0; k < accepted_index.size(); ++k) {
      successes.push_back(detail(accepted_index[k], (*outcomes)[k] == AddOutcome::kAdded
                                                        ? std::string()
                                                        : "this version was already stored"));
    }
    for (std::size_t i = 0; i < total; ++i) {
      if (!rejected[i].empty()) failures.push_back(detail(i, rejected[i]));
    }
    std::string status_id(
        intel::stix::new_id("status").substr(std::string_view("status--").size()));
    json body = json::object();
    body["id"] = status_id;
    body["status"] = "complete";
    body["request_timestamp"] = format_rfc3339_micros(clock->now());
    body["total_count"] = total;
    body["success_count"] = successes.size();
    if (!successes.empty()) body["successes"] = std::move(successes);
    body["failure_count"] = failures.size();
    if (!failures.empty()) body["failures"] = std::move(failures);
    body["pending_count"] = 0;
    const std::string text = body.dump();
    if (auto ok = store->put_status({status_id, member.name, collection.id, text}); !ok) {
      send_error(res, 500, "the status store failed");
      return;
    }
    res.status = 202;
    res.set_content(text, std::string(kTaxiiMediaType));
  }
};

TaxiiServer::TaxiiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TaxiiServer::~TaxiiServer() { stop(); }

int TaxiiServer::port() const { return impl_->port; }

void TaxiiServer::stop() { impl_->http->stop(); }

Result<std::unique_ptr<TaxiiServer>> TaxiiServer::start(TaxiiConfig config, TaxiiStore& store,
                                                        const Clock& clock) {
  if (auto ok = check_taxii_config(config); !ok)
    return fail("TAXII server: {}", ok.error().message);
  if (sodium_init() < 0) return fail("TAXII server: libsodium cannot be initialised");
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  impl->store = &store;
  impl->clock = &clock;
  randombytes_buf(impl->cache_key.data(), impl->cache_key.size());
  const TaxiiConfig& c = impl->config;
  Impl* self = impl.get();
  HttpsHandlers handlers;
  handlers.handle = [self](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "GET" || req.method == "HEAD") return self->handle(req, res, false);
    if (req.method == "POST") return self->handle(req, res, true);
    res.set_header("Allow", "GET, HEAD, POST");
    send_error(res, 405, "this server takes GET, HEAD and POST only");
  };
  // Errors the server answers itself (413, a malformed request, a failed handler) get a TAXII
  // body too.
  handlers.on_error = [](const httplib::Request&, httplib::Response& res) {
    send_error(res, res.status, res.status >= 500 ? "internal error" : std::string_view());
  };
  HttpsServerOptions options{.address = c.address,
                             .port = c.port,
                             .certificate = c.certificate,
                             .private_key = c.private_key,
                             .handler_threads = c.threads,
                             .max_body_bytes = c.max_content_length};
  auto http = HttpsServer::start(std::move(options), std::move(handlers), "TAXII server");
  if (!http) return fail(http.error());
  impl->http = std::move(*http);
  impl->port = impl->http->port();
  return std::unique_ptr<TaxiiServer>(new TaxiiServer(std::move(impl)));
}

}  // namespace mamori::server
