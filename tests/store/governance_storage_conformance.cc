#include "governance_storage_conformance.h"

namespace mamori::store::testing {

std::string governance_backend_name(const ::testing::TestParamInfo<GovernanceBackend>& info) {
  return info.param.name;
}

void GovernanceStorageConformance::SetUp() {
  factory_ = GetParam().make();
  ASSERT_NE(factory_, nullptr);
  auto opened = factory_->open();
  ASSERT_TRUE(opened) << opened.error().message;
  storage_ = std::move(*opened);
}

void GovernanceStorageConformance::reopen() {
  storage_.reset();
  auto opened = factory_->open();
  if (!opened) {
    ADD_FAILURE() << "reopening: " << opened.error().message;
    return;
  }
  storage_ = std::move(*opened);
}

namespace {

using governance::Consent;
using governance::Role;
using governance::User;

template <class T>
T must(Result<T> result, const char* what) {
  if (!result) {
    ADD_FAILURE() << what << ": " << result.error().message;
    return T{};
  }
  return std::move(*result);
}

void must(Result<void> result, const char* what) {
  EXPECT_TRUE(result) << what << ": " << (result ? "" : result.error().message);
}

constexpr Timestamp kAt = Timestamp::from_micros(1795305600'123456);
// Stand-ins with the shape of real values; they must never appear in an error message.
constexpr const char* kHash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$SECRETHASHVALUE";
constexpr const char* kDigest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

User user(std::string name, Role role, std::string hash = kHash) {
  return {.name = std::move(name),
          .role = role,
          .password_hash = std::move(hash),
          .created_at = kAt,
          .disabled = false};
}

void expect_same(const User& got, const User& want) {
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.role, want.role) << got.name;
  EXPECT_EQ(got.password_hash, want.password_hash) << got.name;
  EXPECT_EQ(got.created_at, want.created_at) << got.name;
  EXPECT_EQ(got.disabled, want.disabled) << got.name;
}

Consent consent(std::string id, std::string user_name) {
  return {.id = std::move(id),
          .agreement_id = "agr-isp-1",
          .user = std::move(user_name),
          .purpose = "vulnerability-notice",
          .data_since = Timestamp::from_seconds(1795305600),
          .data_until = Timestamp::from_seconds(1795392000),
          .recorded_by = "overseer-1",
          .recorded_at = kAt,
          .note = "協定先の同意書 No.12 \"signed\""};
}

void expect_same(const Consent& got, const Consent& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.agreement_id, want.agreement_id);
  EXPECT_EQ(got.user, want.user);
  EXPECT_EQ(got.purpose, want.purpose);
  EXPECT_EQ(got.data_since, want.data_since);
  EXPECT_EQ(got.data_until, want.data_until);
  EXPECT_EQ(got.recorded_by, want.recorded_by);
  EXPECT_EQ(got.recorded_at, want.recorded_at);
  EXPECT_EQ(got.note, want.note);
}

TEST_P(GovernanceStorageConformance, EmptyStorageHasNothing) {
  EXPECT_TRUE(must(storage().users(), "users").empty());
  EXPECT_EQ(must(storage().find_user("alice"), "find"), std::nullopt);
  EXPECT_EQ(must(storage().find_token_user(kDigest), "find token"), std::nullopt);
  EXPECT_EQ(must(storage().find_token_owner(kDigest), "find token owner"), std::nullopt);
  EXPECT_TRUE(must(storage().consents(), "consents").empty());
}

TEST_P(GovernanceStorageConformance, UsersRoundTripForEveryRole) {
  const std::vector<User> added = {user("mallory-admin", Role::admin),
                                   user("alice", Role::analyst, ""), user("佐藤", Role::overseer),
                                   user("ops", Role::operator_)};
  for (const auto& u : added) must(storage().add_user(u), "add_user");
  for (const auto& u : added) {
    const auto found = must(storage().find_user(u.name), "find_user");
    ASSERT_TRUE(found.has_value()) << u.name;
    expect_same(*found, u);
  }
  EXPECT_EQ(must(storage().find_user("bob"), "find unknown"), std::nullopt);
  EXPECT_EQ(must(storage().find_user("ALICE"), "names are exact"), std::nullopt);
  const auto all = must(storage().users(), "users");
  ASSERT_EQ(all.size(), added.size());
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].name, all[i].name);
}

TEST_P(GovernanceStorageConformance, DuplicateUserIsAnErrorAndChangesNothing) {
  must(storage().add_user(user("alice", Role::analyst)), "add_user");
  User again = user("alice", Role::admin, "$argon2id$other");
  auto result = storage().add_user(again);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("alice"), std::string::npos) << result.error().message;
  EXPECT_EQ(result.error().message.find("argon2id"), std::string::npos);
  const auto found = must(storage().find_user("alice"), "find_user");
  ASSERT_TRUE(found);
  expect_same(*found, user("alice", Role::analyst));
  EXPECT_EQ(must(storage().users(), "users").size(), 1u);
}

TEST_P(GovernanceStorageConformance, PasswordAndDisabledUpdates) {
  must(storage().add_user(user("alice", Role::analyst)), "add_user");
  must(storage().add_user(user("bob", Role::analyst)), "add_user");
  must(storage().set_password("alice", "$argon2id$new"), "set_password");
  must(storage().set_disabled("alice", true), "set_disabled");
  auto alice = must(storage().find_user("alice"), "find alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->password_hash, "$argon2id$new");
  EXPECT_TRUE(alice->disabled);
  auto bob = must(storage().find_user("bob"), "find bob");
  ASSERT_TRUE(bob);
  expect_same(*bob, user("bob", Role::analyst));  // untouched
  must(storage().set_disabled("alice", false), "enable");
  EXPECT_FALSE(must(storage().find_user("alice"), "find alice")->disabled);

  auto unknown_password = storage().set_password("carol", kHash);
  ASSERT_FALSE(unknown_password);
  EXPECT_NE(unknown_password.error().message.find("carol"), std::string::npos);
  EXPECT_EQ(unknown_password.error().message.find("SECRETHASHVALUE"), std::string::npos);
  EXPECT_FALSE(storage().set_disabled("carol", true));
  EXPECT_EQ(must(storage().find_user("carol"), "find carol"), std::nullopt);
}

TEST_P(GovernanceStorageConformance, TokensMapToTheirUsers) {
  must(storage().add_user(user("alice", Role::analyst)), "add alice");
  must(storage().add_user(user("bob", Role::overseer)), "add bob");
  const std::string other = std::string(64, 'a');
  const std::string third = std::string(64, 'b');
  must(storage().add_token("alice", kDigest, kAt), "token alice");
  must(storage().add_token("bob", other, kAt), "token bob");
  must(storage().add_token("alice", third, kAt), "second token alice");
  EXPECT_EQ(must(storage().find_token_user(kDigest), "find"), std::optional<std::string>("alice"));
  EXPECT_EQ(must(storage().find_token_user(other), "find"), std::optional<std::string>("bob"));
  EXPECT_EQ(must(storage().find_token_user(third), "find"), std::optional<std::string>("alice"));
  EXPECT_EQ(must(storage().find_token_user(std::string(64, 'c')), "find unknown"), std::nullopt);
  const auto alice = must(storage().find_token_owner(third), "owner");
  ASSERT_TRUE(alice);
  expect_same(*alice, user("alice", Role::analyst));
  const auto bob = must(storage().find_token_owner(other), "owner");
  ASSERT_TRUE(bob);
  expect_same(*bob, user("bob", Role::overseer));
  EXPECT_EQ(must(storage().find_token_owner(std::string(64, 'c')), "unknown owner"), std::nullopt);

  auto duplicate = storage().add_token("bob", kDigest, kAt);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().message.find(kDigest), std::string::npos) << "digest leaked";
  EXPECT_EQ(must(storage().find_token_user(kDigest), "still alice"),
            std::optional<std::string>("alice"));

  auto orphan = storage().add_token("nobody", std::string(64, 'd'), kAt);
  ASSERT_FALSE(orphan);
  EXPECT_NE(orphan.error().message.find("nobody"), std::string::npos) << orphan.error().message;
  EXPECT_EQ(orphan.error().message.find(std::string(64, 'd')), std::string::npos);
  EXPECT_EQ(must(storage().find_token_user(std::string(64, 'd')), "orphan"), std::nullopt);
  EXPECT_EQ(must(storage().find_token_owner(std::string(64, 'd')), "orphan"), std::nullopt);
}

TEST_P(GovernanceStorageConformance, TokenOwnerIsTheUserAsStoredNow) {
  must(storage().add_user(user("alice", Role::analyst)), "add alice");
  must(storage().add_token("alice", kDigest, kAt), "token alice");
  must(storage().set_disabled("alice", true), "disable");
  must(storage().set_password("alice", "$argon2id$new"), "set_password");
  auto owner = must(storage().find_token_owner(kDigest), "disabled owner");
  ASSERT_TRUE(owner);  // a disabled owner is found; refusing it is the caller's decision
  EXPECT_TRUE(owner->disabled);
  EXPECT_EQ(owner->password_hash, "$argon2id$new");
  must(storage().set_disabled("alice", false), "enable");
  owner = must(storage().find_token_owner(kDigest), "enabled owner");
  ASSERT_TRUE(owner);
  EXPECT_FALSE(owner->disabled);
}

// Lookups, found or not, leave nothing open that would keep this connection on an old
// snapshot: what another connection (or process: `mamori users disable`) commits shows at once.
TEST_P(GovernanceStorageConformance, LookupsSeeAnotherConnectionsChangesAtOnce) {
  if (!GetParam().shared) GTEST_SKIP() << "backend has no second connection";
  must(storage().add_user(user("alice", Role::analyst)), "add alice");
  must(storage().add_token("alice", kDigest, kAt), "token alice");
  auto opened = factory_->open();
  ASSERT_TRUE(opened) << opened.error().message;
  governance::GovernanceStorage& other = **opened;
  const auto look = [&](bool disabled) {
    for (int round = 0; round < 2; ++round) {  // twice: the second use of each lookup counts too
      auto by_name = must(storage().find_user("alice"), "find_user");
      ASSERT_TRUE(by_name);
      EXPECT_EQ(by_name->disabled, disabled);
      EXPECT_EQ(must(storage().find_token_user(kDigest), "find_token_user"),
                std::optional<std::string>("alice"));
      auto owner = must(storage().find_token_owner(kDigest), "find_token_owner");
      ASSERT_TRUE(owner);
      EXPECT_EQ(owner->disabled, disabled);
      EXPECT_EQ(must(storage().find_user("bob"), "unknown"), std::nullopt);
    }
  };
  look(false);
  must(other.set_disabled("alice", true), "disable through the other connection");
  look(true);
  must(other.set_disabled("alice", false), "enable through the other connection");
  look(false);
  must(other.add_user(user("bob", Role::overseer)), "add bob through the other connection");
  EXPECT_TRUE(must(storage().find_user("bob"), "bob"));
}

TEST_P(GovernanceStorageConformance, ConsentsRoundTripInOrder) {
  const Consent first = consent("consent-2", "alice");
  Consent second = consent("consent-1", "bob");
  second.agreement_id = "agr-isp-2";
  second.note = "";
  second.data_until = Timestamp::from_micros(1795392000'000001);
  must(storage().add_consent(first), "add first");
  must(storage().add_consent(second), "add second");
  const auto all = must(storage().consents(), "consents");
  ASSERT_EQ(all.size(), 2u);
  expect_same(all[0], first);  // the order they were recorded in, not by id
  expect_same(all[1], second);
}

TEST_P(GovernanceStorageConformance, DuplicateConsentIdIsAnError) {
  must(storage().add_consent(consent("consent-1", "alice")), "add");
  Consent other = consent("consent-1", "mallory");
  other.purpose = "something-else";
  auto result = storage().add_consent(other);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("consent-1"), std::string::npos) << result.error().message;
  const auto all = must(storage().consents(), "consents");
  ASSERT_EQ(all.size(), 1u);
  expect_same(all[0], consent("consent-1", "alice"));
}

TEST_P(GovernanceStorageConformance, ReopenKeepsEverything) {
  if (!GetParam().shared) GTEST_SKIP() << "backend cannot reopen";
  must(storage().add_user(user("alice", Role::overseer)), "add_user");
  must(storage().add_token("alice", kDigest, kAt), "add_token");
  must(storage().add_consent(consent("consent-1", "alice")), "add_consent");
  reopen();
  ASSERT_NE(storage_, nullptr);
  const auto found = must(storage().find_user("alice"), "find_user");
  ASSERT_TRUE(found);
  expect_same(*found, user("alice", Role::overseer));
  EXPECT_EQ(must(storage().find_token_user(kDigest), "find token"),
            std::optional<std::string>("alice"));
  ASSERT_EQ(must(storage().consents(), "consents").size(), 1u);
}

}  // namespace
}  // namespace mamori::store::testing
