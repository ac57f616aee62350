// `mamori approve-reidentification` (the overseer grants roles and purposes the right to turn
// pseudonyms back into addresses) and `mamori reidentify` (an authenticated user does so under
// such a grant, I5). Every re-identification, allowed or refused, is a ledger event; an allowed
// one is recorded before any address is printed, and if it cannot be recorded none is printed.
// The ledger names the pseudonyms, never the addresses: it is exported to verifiers.

#include <cstdio>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/cli/commands.h"
#include "mamori/cli/json_file.h"
#include "mamori/governance/events.h"
#include "mamori/governance/reidentification.h"
#include "mamori/privacy/privacy_config.h"
#include "mamori/privacy/pseudonymizer.h"
#include "mamori/site/access_gate.h"
#include "mamori/site/installation.h"

namespace mamori::cli {
namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

Result<governance::ReidentificationGrant> build_grant(const ApproveReidentificationArgs& args) {
  governance::ReidentificationGrant grant;
  grant.id = args.id;
  for (const auto& name : split_list(args.roles)) {
    auto role = governance::parse_role(name);
    if (!role) return fail("--roles: {}", role.error().message);
    grant.roles.push_back(*role);
  }
  grant.purposes = split_list(args.purposes);
  auto not_before = parse_rfc3339(args.not_before);
  if (!not_before) return fail("--not-before: {}", not_before.error().message);
  auto not_after = parse_rfc3339(args.not_after);
  if (!not_after) return fail("--not-after: {}", not_after.error().message);
  grant.not_before = *not_before;
  grant.not_after = *not_after;
  grant.granted_by = site::os_user();
  grant.justification = args.justification;
  return grant;
}

int approval_failed(const Error& error) {
  std::fprintf(stderr, "mamori approve-reidentification: %s\n", error.message.c_str());
  return 1;
}

int failed(const Error& error) {
  std::fprintf(stderr, "mamori reidentify: %s\n", error.message.c_str());
  return 1;
}

// Every pseudonym is read before anything else happens; a typo fails the whole command. The
// error names the argument by position, never by its text: it may be a clear address.
Result<std::vector<privacy::Pseudonym>> parse_pseudonyms(const std::vector<std::string>& texts) {
  std::vector<privacy::Pseudonym> pseudonyms;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto pseudonym = privacy::parse_pseudonym(texts[i]);
    if (!pseudonym) return fail("argument {}: {}", i + 1, pseudonym.error().message);
    pseudonyms.push_back(*pseudonym);
  }
  return pseudonyms;
}

// The grants to check: the command line's, else the configuration's.
Result<std::vector<governance::SignedReidentificationGrant>> load_grants(
    const site::Installation& installation, const std::vector<std::string>& override_paths) {
  const auto& paths =
      override_paths.empty() ? installation.governance.reidentification_grants : override_paths;
  std::vector<governance::SignedReidentificationGrant> grants;
  for (const auto& path : paths) {
    auto grant = governance::load_reidentification_grant(path);
    if (!grant) return fail(grant.error());
    grants.push_back(std::move(*grant));
  }
  return grants;
}

Result<ledger::PublicKey> overseer_key(const site::Installation& installation) {
  if (!installation.governance.overseer_key) {
    return fail(
        "{}: [governance] overseer_key is not set: re-identification grants are checked against "
        "the overseer's key / 監理委員会の公開鍵が設定されていません",
        installation.config_path);
  }
  return ledger::load_public_key(*installation.governance.overseer_key, ledger::KeyRole::overseer);
}

Result<privacy::Pseudonymizer> open_pseudonymizer(const std::string& config_path) {
  auto file = ConfigFile::load(config_path);
  if (!file) return fail(file.error());
  auto config = privacy::load_privacy_config(*file);
  if (!config) return fail(config.error());
  auto key_file = privacy::require_key_file(*config, file->path());
  if (!key_file) return fail(key_file.error());
  // Each pseudonym is looked up once: no cache.
  return privacy::Pseudonymizer::open(*key_file, {.cache_entries = 0, .v6_cache_entries = 0});
}

// The decision after authentication: the purpose must be one the configuration allows this
// role (I7), and a grant must cover the role and purpose now (I5). Criminal investigation fails
// both.
struct Decision {
  std::optional<std::string> refusal;  // AccessRefusal or ReidentificationRefusal name
  std::string message;
  std::string grant_id;
};
Decision decide(const site::Installation& installation, const site::Authentication& authentication,
                const std::vector<governance::SignedReidentificationGrant>& grants,
                const ledger::PublicKey& trusted, const std::optional<std::string>& purpose) {
  if (!authentication.user) {
    return {std::string(governance::to_string(
                authentication.refusal.value_or(governance::AccessRefusal::no_user))),
            authentication.message,
            {}};
  }
  const governance::User& user = *authentication.user;
  const auto access =
      governance::decide_read(installation.governance.access, user, purpose.value_or(""), {}, {});
  if (access.refusal)
    return {std::string(governance::to_string(*access.refusal)), access.message, {}};
  // decide_read refuses an empty purpose, so one is present here.
  const std::string& stated = purpose.value_or("");
  const auto decision =
      governance::check_reidentification(grants, trusted, user.role, stated, SystemClock().now());
  if (decision.refusal) {
    return {std::string(governance::to_string(*decision.refusal)), decision.message, {}};
  }
  return {std::nullopt, decision.message, decision.grant_id};
}

nlohmann::json pseudonym_texts(const std::vector<privacy::Pseudonym>& pseudonyms) {
  nlohmann::json texts = nlohmann::json::array();
  for (const auto& pseudonym : pseudonyms) texts.push_back(privacy::to_string(pseudonym));
  return texts;
}

}  // namespace

int run_approve_reidentification(const ApproveReidentificationArgs& args) {
  auto key = ledger::load_signing_key(args.key, ledger::KeyRole::overseer);
  if (!key) return approval_failed(key.error());
  auto grant = build_grant(args);
  if (!grant) return approval_failed(grant.error());
  auto signed_grant = governance::sign_reidentification_grant(*grant, *key, SystemClock().now());
  if (!signed_grant) return approval_failed(signed_grant.error());
  const auto json = governance::signed_reidentification_grant_to_json(*signed_grant);
  if (auto written = write_json_file(args.out, json); !written) {
    return approval_failed(written.error());
  }
  if (args.config) {
    auto installation = site::open_installation(*args.config);
    if (!installation) return approval_failed(installation.error());
    auto recorded = site::record_event(**installation, governance::events::kReidentificationGranted,
                                       {{"grant", json}});
    if (!recorded) return approval_failed(recorded.error());
  }
  std::printf(
      "re-identification grant %s signed by overseer key %s, written to %s / "
      "再識別を許可しました\n",
      signed_grant->id().c_str(), signed_grant->overseer_key_id.c_str(), args.out.c_str());
  return 0;
}

int run_reidentify(const ReidentifyArgs& args) {
  auto pseudonyms = parse_pseudonyms(args.pseudonyms);
  if (!pseudonyms) return failed(pseudonyms.error());
  if (pseudonyms->empty()) return failed(Error{"no pseudonym given / 仮名が指定されていません"});
  auto credentials = site::gather_credentials(args.user, args.password_file, args.token_file);
  if (!credentials) return failed(credentials.error());
  auto opened = site::open_installation(args.config);
  if (!opened) return failed(opened.error());
  site::Installation& installation = **opened;
  auto trusted = overseer_key(installation);
  if (!trusted) return failed(trusted.error());
  auto grants = load_grants(installation, args.grants);
  if (!grants) return failed(grants.error());

  auto authentication = site::authenticate(installation, *credentials,
                                           {"re-identifying a pseudonym", "仮名の再識別"});
  if (!authentication) return failed(authentication.error());
  const std::optional<governance::User>& user = authentication->user;
  const auto [refusal, message, grant_id] =
      decide(installation, *authentication, *grants, *trusted, args.purpose);
  if (refusal) {
    auto recorded = site::record_event(
        installation, governance::events::kReidentificationRefused,
        {{"user",
          site::ledger_text(user ? std::optional<std::string>(user->name) : credentials->user)},
         {"role",
          user ? nlohmann::json(governance::to_string(user->role)) : nlohmann::json(nullptr)},
         {"purpose", site::ledger_text(args.purpose)},
         {"pseudonyms", pseudonym_texts(*pseudonyms)},
         {"refusal", *refusal},
         {"message", message}});
    if (!recorded) return failed(recorded.error());
    return failed(Error{"refused / 拒否: " + message});
  }
  // Allowed implies a user and a purpose: decide_read refuses a request without either.
  if (!user || !args.purpose) return failed(Error{"internal: allowed without a user or purpose"});

  auto pseudonymizer = open_pseudonymizer(args.config);
  if (!pseudonymizer) return failed(pseudonymizer.error());
  std::vector<IpAddress> addresses;
  for (std::size_t i = 0; i < pseudonyms->size(); ++i) {
    auto address = pseudonymizer->reidentify((*pseudonyms)[i]);
    if (!address)
      return failed(Error{fmt::format("argument {}: {}", i + 1, address.error().message)});
    addresses.push_back(*address);
  }

  // Recorded before anything is shown: an address nobody can account for is never printed.
  auto recorded = site::record_event(installation, governance::events::kReidentified,
                                     {{"user", user->name},
                                      {"role", governance::to_string(user->role)},
                                      {"purpose", *args.purpose},
                                      {"grant_id", grant_id},
                                      {"pseudonyms", pseudonym_texts(*pseudonyms)},
                                      {"count", pseudonyms->size()}});
  if (!recorded) return failed(recorded.error());

  if (args.json) {
    nlohmann::json out = {{"user", user->name},
                          {"purpose", *args.purpose},
                          {"grant_id", grant_id},
                          {"ledger_seq", recorded->seq},
                          {"reidentified", nlohmann::json::array()}};
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      out["reidentified"].push_back({{"pseudonym", privacy::to_string((*pseudonyms)[i])},
                                     {"address", addresses[i].to_string()}});
    }
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      std::printf("%s → %s\n", privacy::to_string((*pseudonyms)[i]).c_str(),
                  addresses[i].to_string().c_str());
    }
  }
  std::fprintf(stderr,
               "%zu pseudonyms re-identified under grant %s, ledger entry %llu / "
               "仮名を再識別しました（台帳に記録済み）\n",
               addresses.size(), grant_id.c_str(), static_cast<unsigned long long>(recorded->seq));
  return 0;
}

}  // namespace mamori::cli
