#include "mamori/site/access_gate.h"

#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "mamori/governance/approval.h"
#include "mamori/governance/events.h"
#include "mamori/governance/signed_document.h"
#include "mamori/sieve/record.h"

namespace mamori::site {
namespace {

Result<std::string> first_line_of(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail("cannot read credential file {}", path);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return fail("credential file {} is empty", path);
  return line;
}

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// The purposes each agreement allows, from the approvals recorded in the ledger.
Result<std::map<std::string, std::vector<std::string>>> agreement_purposes(
    Installation& installation) {
  std::map<std::string, std::vector<std::string>> purposes;
  auto scanned = for_each_event(installation, governance::events::kApprovalGranted,
                                [&](const ledger::LedgerEntry& entry) {
                                  const auto found = entry.body.find("approval");
                                  if (found == entry.body.end() || !found->contains("request"))
                                    return true;
                                  auto parsed = governance::request_from_json((*found)["request"]);
                                  if (!parsed || !parsed->agreement_id) return true;
                                  auto& list = purposes[*parsed->agreement_id];
                                  list.insert(list.end(), parsed->agreement_purposes.begin(),
                                              parsed->agreement_purposes.end());
                                  return true;
                                });
  if (!scanned) return fail(scanned.error());
  return purposes;
}

// Agreement-party data the query can touch: every agreement-party run with a matching record.
// An open-ended query range stays open-ended, so only a consent covering all time would cover
// it: other-purpose reads must name their data range.
Result<std::vector<governance::PartyData>> party_data_for(Installation& installation,
                                                          store::Store& store,
                                                          const store::RecordQuery& query) {
  std::vector<governance::PartyData> data;
  auto runs = store.runs();
  if (!runs) return fail(runs.error());
  std::optional<std::map<std::string, std::vector<std::string>>> purposes;
  for (const auto& run : *runs) {
    if (run.info.agreement_id.empty()) continue;
    if (query.run && *query.run != run.id) continue;
    store::RecordQuery in_run = query;
    in_run.run = run.id;
    auto matching = store.count(in_run);
    if (!matching) return fail(matching.error());
    if (*matching == 0) continue;
    if (!purposes) {
      auto loaded = agreement_purposes(installation);
      if (!loaded) return fail(loaded.error());
      purposes = std::move(*loaded);
    }
    governance::PartyData party;
    party.agreement_id = run.info.agreement_id;
    if (auto found = purposes->find(run.info.agreement_id); found != purposes->end()) {
      party.agreement_purposes = found->second;
    }
    party.data_since = query.since.value_or(Timestamp{std::numeric_limits<std::int64_t>::min()});
    party.data_until = query.until.value_or(Timestamp{std::numeric_limits<std::int64_t>::max()});
    data.push_back(std::move(party));
  }
  return data;
}

}  // namespace

nlohmann::json ledger_text(const std::optional<std::string>& text) {
  return text ? nlohmann::json(std::string(governance::detail::printable(*text)))
              : nlohmann::json(nullptr);
}

Result<Credentials> gather_credentials(const std::optional<std::string>& user,
                                       const std::optional<std::string>& password_file,
                                       const std::optional<std::string>& token_file) {
  Credentials credentials;
  credentials.user = user;
  if (password_file) {
    auto password = first_line_of(*password_file);
    if (!password) return fail(password.error());
    credentials.password = std::move(*password);
  } else {
    credentials.password = environment("MAMORI_PASSWORD");
  }
  if (token_file) {
    auto token = first_line_of(*token_file);
    if (!token) return fail(token.error());
    credentials.token = std::move(*token);
  } else {
    credentials.token = environment("MAMORI_TOKEN");
  }
  return credentials;
}

Result<void> apply_time_range(const std::optional<std::string>& since,
                              const std::optional<std::string>& until, store::RecordQuery& query) {
  if (since) {
    auto t = parse_rfc3339(*since);
    if (!t) return fail("--since: {}", t.error().message);
    query.since = *t;
  }
  if (until) {
    auto t = parse_rfc3339(*until);
    if (!t) return fail("--until: {}", t.error().message);
    query.until = *t;
  }
  return {};
}

nlohmann::json query_to_json(const store::RecordQuery& query) {
  nlohmann::json json = nlohmann::json::object();
  if (query.rule) json["rule"] = *query.rule;
  if (query.address) json["address"] = sieve::prefix_text(*query.address, query.address_epoch);
  if (query.since) json["since"] = format_rfc3339_micros(*query.since);
  if (query.until) json["until"] = format_rfc3339_micros(*query.until);
  if (query.category) json["category"] = scope::to_string(*query.category);
  if (query.run) json["run"] = *query.run;
  if (query.after) json["after"] = *query.after;
  json["limit"] = query.limit;
  return json;
}

Result<Authentication> authenticate(Installation& installation, const Credentials& credentials,
                                    ActionName action) {
  Authentication result;
  auto& users = *installation.governance_storage;
  if (credentials.token) {
    auto owner = users.find_token_owner(governance::token_digest(*credentials.token));
    if (!owner) return fail(owner.error());
    if (*owner && (!credentials.user || *credentials.user == (*owner)->name)) {
      result.user = std::move(*owner);
    }
    if (!result.user) {
      result.refusal = governance::AccessRefusal::bad_credentials;
      result.message = "the API token is not valid / APIトークンが無効です";
    }
  } else if (!credentials.user) {
    result.refusal = governance::AccessRefusal::no_user;
    result.message = fmt::format(
        "{} needs a user (--user with a password, or an API token) / {}には利用者の認証が必要です",
        action.english, action.japanese);
  } else {
    auto found = users.find_user(*credentials.user);
    if (!found) return fail(found.error());
    if (*found && credentials.password && !(*found)->password_hash.empty() &&
        governance::verify_password((*found)->password_hash, *credentials.password)) {
      result.user = **found;
    } else {
      result.refusal = governance::AccessRefusal::bad_credentials;
      result.message = fmt::format("user '{}': wrong or missing password / 認証に失敗しました",
                                   governance::detail::printable(*credentials.user));
    }
  }
  return result;
}

namespace {

// The decision after authentication, recorded on the ledger when it refuses. `claimed_user` is
// the name the refusal event carries when nobody authenticated.
Result<ReadGrant> decide_read_of(Installation& installation, store::Store& store,
                                 Authentication authentication,
                                 const std::optional<std::string>& claimed_user,
                                 const std::optional<std::string>& purpose,
                                 const store::RecordQuery& query) {
  std::optional<governance::User> user = std::move(authentication.user);
  std::optional<governance::AccessRefusal> refusal = authentication.refusal;
  std::string message = std::move(authentication.message);
  auto& users = *installation.governance_storage;

  std::vector<std::string> consents_used;
  if (user) {
    auto party = party_data_for(installation, store, query);
    if (!party) return fail(party.error());
    auto consents = users.consents();
    if (!consents) return fail(consents.error());
    auto decision = governance::decide_read(installation.governance.access, *user,
                                            purpose.value_or(""), *party, *consents);
    refusal = decision.refusal;
    message = decision.message;
    consents_used = decision.consents_used;
  }

  if (refusal) {
    const auto named = user ? std::optional<std::string>(user->name) : claimed_user;
    auto recorded = record_event(installation, governance::events::kAccessRefused,
                                 {{"user", ledger_text(named)},
                                  {"role", user ? nlohmann::json(governance::to_string(user->role))
                                                : nlohmann::json(nullptr)},
                                  {"purpose", ledger_text(purpose)},
                                  {"query", query_to_json(query)},
                                  {"refusal", governance::to_string(*refusal)},
                                  {"message", message}});
    if (!recorded) return fail(recorded.error());
    return fail("refused / 拒否: {}", message);
  }
  // Allowed implies a user and a purpose: decide_read refuses a read without either.
  if (!user || !purpose) return fail("internal: read allowed without a user or a purpose");
  return ReadGrant{.user = *user, .purpose = *purpose, .consents_used = consents_used};
}

}  // namespace

Result<ReadGrant> authorize_read(Installation& installation, store::Store& store,
                                 const Credentials& credentials,
                                 const std::optional<std::string>& purpose,
                                 const store::RecordQuery& query) {
  auto authentication =
      authenticate(installation, credentials, {"reading selected records", "選別後情報の閲覧"});
  if (!authentication) return fail(authentication.error());
  return decide_read_of(installation, store, std::move(*authentication), credentials.user, purpose,
                        query);
}

Result<ReadGrant> authorize_read_for(Installation& installation, store::Store& store,
                                     const std::string& user_name,
                                     const std::optional<std::string>& purpose,
                                     const store::RecordQuery& query) {
  auto found = installation.governance_storage->find_user(user_name);
  if (!found) return fail(found.error());
  Authentication authentication;
  if (*found) {
    authentication.user = std::move(**found);
  } else {
    // Removed since it authenticated: refused like wrong credentials.
    authentication.refusal = governance::AccessRefusal::bad_credentials;
    authentication.message = fmt::format("user '{}' no longer exists / 利用者が存在しません",
                                         governance::detail::printable(user_name));
  }
  return decide_read_of(installation, store, std::move(authentication), user_name, purpose, query);
}

Result<void> record_read(Installation& installation, const ReadGrant& grant,
                         const store::RecordQuery& query, std::uint64_t records) {
  auto recorded = record_event(installation, governance::events::kAccessRead,
                               {{"user", grant.user.name},
                                {"role", governance::to_string(grant.user.role)},
                                {"purpose", grant.purpose},
                                {"query", query_to_json(query)},
                                {"records", records},
                                {"consents", grant.consents_used}});
  if (!recorded) return fail(recorded.error());
  return {};
}

}  // namespace mamori::site
