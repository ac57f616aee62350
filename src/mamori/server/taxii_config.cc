#include "mamori/server/taxii_config.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "mamori/intel/dissemination.h"

namespace mamori::server {
namespace {

bool is_path_segment(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  return std::ranges::all_of(text, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// crypto_pwhash_str output: "$argon2id$…" or "$argon2i$…", printable, shorter than STRBYTES.
bool looks_like_pwhash(std::string_view hash) {
  if (!hash.starts_with("$argon2id$") && !hash.starts_with("$argon2i$")) return false;
  if (hash.size() >= 128) return false;
  return std::ranges::all_of(hash, [](char c) { return c > ' ' && c < 0x7f; });
}

// Problems of an array-of-tables section, or its entries' tables.
const toml::array* array_of_tables(const ConfigFile& file, std::string_view key,
                                   std::vector<std::string>& errors) {
  const auto node = file.root().at_path(key);
  if (!node) return nullptr;
  const toml::array* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    errors.push_back(fmt::format("{}:{}: key '{}': must be an array of tables ([[{}]])",
                                 file.path(), node.node()->source().begin.line, key, key));
    return nullptr;
  }
  return array;
}

// Why a collection's audience facts do not fit together: the key at fault and the problem.
struct AudienceProblem {
  std::string_view key;
  std::string message;
};

std::optional<AudienceProblem> audience_problem(const TaxiiCollection& c) {
  using intel::RecipientClass;
  if (!c.audience) {
    if (!c.confidentiality_obligation.empty()) {
      return AudienceProblem{"confidentiality_obligation",
                             "is the audience's fact: set audience (council_member or "
                             "designated_operator) too"};
    }
    if (c.council_member) {
      return AudienceProblem{"council_member", "needs audience = \"designated_operator\""};
    }
    return std::nullopt;
  }
  const RecipientClass audience = *c.audience;
  if (audience == RecipientClass::foreign_government) {
    return AudienceProblem{"audience",
                           "foreign_government cannot be a collection's audience: each provision "
                           "to a foreign government needs its own confirmation of equivalent "
                           "protection (use `mamori intel provide`)"};
  }
  const intel::DisseminationRule& rule = intel::rule_for(audience);
  if (rule.type != intel::ProvisionType::tiered) {
    return AudienceProblem{
        "audience", fmt::format("{} receives {} provisions, not the tiered products a collection "
                                "holds (agency, council_member, designated_operator or public)",
                                intel::to_string(audience), intel::to_string(rule.type))};
  }
  if (c.council_member && audience != RecipientClass::designated_operator) {
    return AudienceProblem{"council_member",
                           "only for audience = \"designated_operator\" (council members are "
                           "audience = \"council_member\")"};
  }
  if (!c.confidentiality_obligation.empty() && audience != RecipientClass::council_member &&
      audience != RecipientClass::designated_operator) {
    return AudienceProblem{"confidentiality_obligation",
                           fmt::format("{} accepts no confidentiality obligation (only "
                                       "council_member and designated_operator do)",
                                       intel::to_string(audience))};
  }
  return std::nullopt;
}

}  // namespace

Result<intel::Recipient> collection_recipient(const TaxiiCollection& collection) {
  if (!collection.audience) {
    return fail(
        "collection {} ('{}') has no audience: set audience in its [[taxii.collections]] entry "
        "to publish into it",
        collection.id, collection.title);
  }
  intel::Recipient recipient;
  recipient.id = "taxii:" + collection.id;
  recipient.name = collection.title;
  recipient.recipient_class = *collection.audience;
  recipient.council_member = collection.council_member;
  recipient.confidentiality_obligation = collection.confidentiality_obligation;
  return recipient;
}

const TaxiiCollection* TaxiiConfig::collection(std::string_view id) const {
  auto it = std::ranges::find(collections, id, &TaxiiCollection::id);
  return it == collections.end() ? nullptr : &*it;
}

const TaxiiMember* TaxiiConfig::member(std::string_view name) const {
  auto it = std::ranges::find(members, name, &TaxiiMember::name);
  return it == members.end() ? nullptr : &*it;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

Result<TaxiiConfig> load_taxii_config(const ConfigFile& file) {
  if (!file.root().at_path("taxii")) {
    return fail(
        "{}: [taxii] section is missing: the TAXII server needs at least certificate, "
        "private_key and database there / [taxii] の設定がありません",
        file.path());
  }
  TaxiiConfig config;
  std::vector<std::string> errors;
  ConfigTable table(file, "taxii");
  if (auto v = table.string("address")) config.address = *v;
  if (auto v = table.integer("port", 0, 65535)) config.port = static_cast<int>(*v);
  if (auto v = table.path("certificate", true)) config.certificate = *v;
  if (auto v = table.path("private_key", true)) config.private_key = *v;
  if (auto v = table.path("database", true)) config.database = *v;
  if (auto v = table.string("title")) config.title = *v;
  if (auto v = table.string("description")) config.description = *v;
  if (auto v = table.string("contact")) config.contact = *v;
  if (auto v = table.string("api_root")) {
    if (is_path_segment(*v)) {
      config.api_root = *v;
    } else {
      table.error("api_root", "must be one path segment of a-z, 0-9, '-' and '_'");
    }
  }
  if (auto v = table.string("api_root_title")) config.api_root_title = *v;
  if (auto v = table.integer("max_content_length", 1024, std::int64_t{1} << 32)) {
    config.max_content_length = static_cast<std::size_t>(*v);
  }
  if (auto v = table.integer("max_page_size", 1, 100'000)) {
    config.max_page_size = static_cast<std::size_t>(*v);
  }
  if (auto v = table.integer("threads", 1, 1024)) config.threads = static_cast<int>(*v);
  table.reject_unknown_keys({"collections", "members"});
  errors.insert(errors.end(), table.errors().begin(), table.errors().end());

  if (const toml::array* array = array_of_tables(file, "taxii.collections", errors)) {
    std::set<std::string> ids;
    for (std::size_t i = 0; i < array->size(); ++i) {
      ConfigTable entry(file, fmt::format("taxii.collections[{}]", i));
      TaxiiCollection collection;
      if (auto v = entry.string("id", true)) {
        if (!is_uuid(*v)) {
          entry.error("id", "must be a UUID (8-4-4-4-12 hex digits)");
        } else if (!ids.insert(*v).second) {
          entry.error("id", "is used by an earlier collection");
        } else {
          collection.id = *v;
        }
      }
      if (auto v = entry.string("title", true)) collection.title = *v;
      if (auto v = entry.string("description")) collection.description = *v;
      if (auto v = entry.integer("tier", 1, 3, true)) collection.tier = static_cast<int>(*v);
      if (auto v = entry.boolean("can_read")) collection.can_read = *v;
      if (auto v = entry.boolean("can_write")) collection.can_write = *v;
      if (auto v = entry.string("audience")) {
        auto audience = intel::parse_recipient_class(*v);
        if (audience) {
          collection.audience = *audience;
        } else {
          entry.error("audience", audience.error().message);
        }
      }
      if (auto v = entry.string("confidentiality_obligation")) {
        collection.confidentiality_obligation = *v;
      }
      if (auto v = entry.boolean("council_member")) collection.council_member = *v;
      entry.reject_unknown_keys();
      if (entry.ok()) {
        if (auto problem = audience_problem(collection)) {
          entry.error(problem->key, problem->message);
        }
      }
      if (entry.ok()) config.collections.push_back(std::move(collection));
      errors.insert(errors.end(), entry.errors().begin(), entry.errors().end());
    }
  }
  if (const toml::array* array = array_of_tables(file, "taxii.members", errors)) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < array->size(); ++i) {
      ConfigTable entry(file, fmt::format("taxii.members[{}]", i));
      TaxiiMember member;
      if (auto v = entry.string("name", true)) {
        if (v->empty() || v->find(':') != std::string::npos || v->size() > 128) {
          entry.error("name", "must be non-empty, at most 128 bytes, without ':'");
        } else if (!names.insert(*v).second) {
          entry.error("name", "is used by an earlier member");
        } else {
          member.name = *v;
        }
      }
      if (auto v = entry.string("password_hash", true)) {
        if (looks_like_pwhash(*v)) {
          member.password_hash = *v;
        } else {
          entry.error("password_hash", "is not a libsodium crypto_pwhash_str (argon2) string");
        }
      }
      if (auto v = entry.integer("tier", 1, 3, true)) member.tier = static_cast<int>(*v);
      if (auto v = entry.boolean("can_write")) member.can_write = *v;
      if (auto v = entry.boolean("share_contributions")) member.share_contributions = *v;
      entry.reject_unknown_keys();
      if (entry.ok()) config.members.push_back(std::move(member));
      errors.insert(errors.end(), entry.errors().begin(), entry.errors().end());
    }
  }
  if (!errors.empty()) {
    std::string joined;
    for (const auto& e : errors) joined += (joined.empty() ? "" : "\n") + e;
    return fail("{}", joined);
  }
  if (auto ok = check_taxii_config(config); !ok) {
    return fail("{}: [taxii]: {}", file.path(), ok.error().message);
  }
  return config;
}

Result<void> check_taxii_config(const TaxiiConfig& config) {
  if (!is_path_segment(config.api_root)) {
    return fail("api_root must be one path segment of a-z, 0-9, '-' and '_'");
  }
  if (config.api_root == "taxii2") return fail("api_root must not be 'taxii2' (discovery)");
  if (config.port < 0 || config.port > 65535) return fail("port {} is out of range", config.port);
  if (config.max_page_size == 0) return fail("max_page_size must be positive");
  if (config.max_content_length == 0) return fail("max_content_length must be positive");
  if (config.threads < 1) return fail("threads must be positive");
  std::set<std::string> ids;
  for (const auto& c : config.collections) {
    if (!is_uuid(c.id)) return fail("collection '{}': id must be a UUID", c.title);
    if (!ids.insert(c.id).second) return fail("collection id {} appears twice", c.id);
    if (c.tier < 1 || c.tier > 3) return fail("collection {}: tier must be 1, 2 or 3", c.id);
    if (auto problem = audience_problem(c)) {
      return fail("collection {}: {}: {}", c.id, problem->key, problem->message);
    }
  }
  std::set<std::string> names;
  for (const auto& m : config.members) {
    if (m.name.empty() || m.name.find(':') != std::string::npos) {
      return fail("a member name must be non-empty and without ':'");
    }
    if (!names.insert(m.name).second) return fail("member '{}' appears twice", m.name);
    if (m.tier < 1 || m.tier > 3) return fail("member '{}': tier must be 1, 2 or 3", m.name);
    if (!looks_like_pwhash(m.password_hash)) {
      return fail("member '{}': password_hash is not a crypto_pwhash_str string", m.name);
    }
  }
  return {};
}

}  // namespace mamori::server
