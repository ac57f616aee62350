// `mamori users add | token | disable | enable` and `mamori consent add`: the people who may read
// selected records and the consents that allow other-purpose use of agreement-party data (I7). Each
// change is a ledger event; secrets (passwords, tokens) are never recorded, only their hashes are
// stored.

#include <cstdio>
#include <fstream>

#include "mamori/cli/commands.h"
#include "mamori/governance/events.h"
#include "mamori/site/access_gate.h"
#include "mamori/site/installation.h"

namespace mamori::cli {

int run_users_add(const UsersAddArgs& args) {
  auto role = governance::parse_role(args.role);
  if (!role) {
    std::fprintf(stderr, "mamori users add: --role: %s\n", role.error().message.c_str());
    return 1;
  }
  auto credentials = site::gather_credentials(args.name, args.password_file, std::nullopt);
  if (!credentials) {
    std::fprintf(stderr, "mamori users add: %s\n", credentials.error().message.c_str());
    return 1;
  }
  auto installation = site::open_installation(args.config);
  if (!installation) {
    std::fprintf(stderr, "mamori users add: %s\n", installation.error().message.c_str());
    return 1;
  }
  governance::User user{.name = args.name, .role = *role, .created_at = SystemClock().now()};
  if (credentials->password) {
    auto hash = governance::hash_password(*credentials->password);
    if (!hash) {
      std::fprintf(stderr, "mamori users add: %s\n", hash.error().message.c_str());
      return 1;
    }
    user.password_hash = std::move(*hash);
  }
  if (auto added = (*installation)->governance_storage->add_user(user); !added) {
    std::fprintf(stderr, "mamori users add: %s\n", added.error().message.c_str());
    return 1;
  }
  auto recorded = site::record_event(
      **installation, governance::events::kUserAdded,
      {{"user", user.name}, {"role", governance::to_string(user.role)}, {"by", site::os_user()}});
  if (!recorded) {
    std::fprintf(stderr, "mamori users add: %s\n", recorded.error().message.c_str());
    return 1;
  }
  std::printf("user %s (%s) added%s / 利用者を登録しました\n", user.name.c_str(),
              std::string(governance::to_string(user.role)).c_str(),
              user.password_hash.empty() ? " without a password (use an API token)" : "");
  return 0;
}

int run_users_token(const UsersTokenArgs& args) {
  auto installation = site::open_installation(args.config);
  if (!installation) {
    std::fprintf(stderr, "mamori users token: %s\n", installation.error().message.c_str());
    return 1;
  }
  auto& users = *(*installation)->governance_storage;
  auto user = users.find_user(args.name);
  if (!user || !*user) {
    std::fprintf(stderr, "mamori users token: no user '%s' / 利用者が存在しません\n",
                 args.name.c_str());
    return 1;
  }
  const std::string token = governance::new_api_token();
  const std::string digest = governance::token_digest(token);
  if (auto added = users.add_token(args.name, digest, SystemClock().now()); !added) {
    std::fprintf(stderr, "mamori users token: %s\n", added.error().message.c_str());
    return 1;
  }
  auto recorded = site::record_event(
      **installation, governance::events::kTokenIssued,
      {{"user", args.name}, {"token_id", governance::token_id(digest)}, {"by", site::os_user()}});
  if (!recorded) {
    std::fprintf(stderr, "mamori users token: %s\n", recorded.error().message.c_str());
    return 1;
  }
  // The token itself is shown once, on stdout only; it is stored nowhere.
  std::printf("%s\n", token.c_str());
  return 0;
}

int run_users_set_disabled(const UsersDisableArgs& args) {
  const char* command = args.disabled ? "mamori users disable" : "mamori users enable";
  auto installation = site::open_installation(args.config);
  if (!installation) {
    std::fprintf(stderr, "%s: %s\n", command, installation.error().message.c_str());
    return 1;
  }
  auto& users = *(*installation)->governance_storage;
  auto user = users.find_user(args.name);
  if (!user || !*user) {
    std::fprintf(stderr, "%s: no user '%s' / 利用者が存在しません\n", command, args.name.c_str());
    return 1;
  }
  if ((*user)->disabled == args.disabled) {
    std::printf("user %s is already %s / 変更はありません\n", args.name.c_str(),
                args.disabled ? "disabled" : "enabled");
    return 0;
  }
  if (auto changed = users.set_disabled(args.name, args.disabled); !changed) {
    std::fprintf(stderr, "%s: %s\n", command, changed.error().message.c_str());
    return 1;
  }
  auto recorded = site::record_event(
      **installation,
      args.disabled ? governance::events::kUserDisabled : governance::events::kUserEnabled,
      {{"user", args.name},
       {"role", governance::to_string((*user)->role)},
       {"by", site::os_user()}});
  if (!recorded) {
    std::fprintf(stderr, "%s: %s\n", command, recorded.error().message.c_str());
    return 1;
  }
  // mamorid re-reads the user on every request: an open session or a token stops at once.
  std::printf("user %s %s / %s\n", args.name.c_str(), args.disabled ? "disabled" : "enabled",
              args.disabled ? "利用者を無効にしました" : "利用者を有効にしました");
  return 0;
}

int run_consent_add(const ConsentAddArgs& args) {
  auto since = parse_rfc3339(args.data_since);
  auto until = parse_rfc3339(args.data_until);
  if (!since || !until) {
    std::fprintf(stderr, "mamori consent add: --data-since/--data-until: %s\n",
                 (!since ? since.error() : until.error()).message.c_str());
    return 1;
  }
  if (!(*since < *until)) {
    std::fprintf(stderr, "mamori consent add: --data-since must be before --data-until\n");
    return 1;
  }
  if (governance::is_criminal_investigation(args.purpose)) {
    std::fprintf(stderr,
                 "mamori consent add: criminal investigation (犯罪捜査) can never be a purpose "
                 "for selected communications information\n");
    return 1;
  }
  auto installation = site::open_installation(args.config);
  if (!installation) {
    std::fprintf(stderr, "mamori consent add: %s\n", installation.error().message.c_str());
    return 1;
  }
  const governance::Consent consent{.id = args.id,
                                    .agreement_id = args.agreement_id,
                                    .user = args.user,
                                    .purpose = args.purpose,
                                    .data_since = *since,
                                    .data_until = *until,
                                    .recorded_by = site::os_user(),
                                    .recorded_at = SystemClock().now(),
                                    .note = args.note};
  if (auto added = (*installation)->governance_storage->add_consent(consent); !added) {
    std::fprintf(stderr, "mamori consent add: %s\n", added.error().message.c_str());
    return 1;
  }
  auto recorded = site::record_event(**installation, governance::events::kConsentRecorded,
                                     {{"consent", governance::consent_to_json(consent)}});
  if (!recorded) {
    std::fprintf(stderr, "mamori consent add: %s\n", recorded.error().message.c_str());
    return 1;
  }
  std::printf("consent %s recorded (ledger entry %llu) / 同意を記録しました\n", consent.id.c_str(),
              static_cast<unsigned long long>(recorded->seq));
  return 0;
}

}  // namespace mamori::cli
