#include "mamori/store/governance_storage.h"

#include <utility>

#include "mamori/store/sqlite_open.h"
#include "mamori/store/sqlite_options.h"

namespace mamori::store {
namespace {

using governance::Consent;
using governance::User;
using sqlite::Database;
using sqlite::Statement;

constexpr std::string_view kUserColumns =
    "users.name, users.role, users.password_hash, users.created_at, users.disabled";

// Rewinds a cached statement on every way out of a lookup, so that no read transaction stays
// open between calls: in WAL mode one would hold back checkpoints and keep this connection from
// seeing what other connections (the mamori command in another process) commit.
class Rewind {
 public:
  explicit Rewind(Statement& statement) : statement_(statement) {}
  ~Rewind() { statement_.reset(); }
  Rewind(const Rewind&) = delete;
  Rewind& operator=(const Rewind&) = delete;

 private:
  Statement& statement_;
};

class SqliteGovernanceStorage final : public governance::GovernanceStorage {
 public:
  SqliteGovernanceStorage(std::string path, Database db)
      : path_(std::move(path)), db_(std::move(db)) {}

  // The lookups every console request makes are compiled once per connection.
  Result<void> prepare_statements() {
    auto by_name =
        db_.prepare(fmt::format("SELECT {} FROM users WHERE name = ?1", kUserColumns), true);
    if (!by_name) return fail(by_name.error());
    find_user_ = std::move(*by_name);
    auto token_user = db_.prepare("SELECT user FROM api_tokens WHERE digest = ?1", true);
    if (!token_user) return fail(token_user.error());
    find_token_user_ = std::move(*token_user);
    auto token_owner = db_.prepare(
        fmt::format("SELECT {} FROM api_tokens JOIN users ON users.name = api_tokens.user "
                    "WHERE api_tokens.digest = ?1",
                    kUserColumns),
        true);
    if (!token_owner) return fail(token_owner.error());
    find_token_owner_ = std::move(*token_owner);
    return {};
  }

  Result<void> add_user(const User& user) override {
    if (user.name.empty()) return fail("governance storage: a user needs a name");
    auto existing = find_user(user.name);
    if (!existing) return fail(existing.error());
    if (*existing) return fail("governance storage: user '{}' already exists", user.name);
    auto statement = db_.prepare(
        "INSERT INTO users (name, role, password_hash, created_at, disabled) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!statement) return fail(statement.error());
    statement->bind(1, std::string_view(user.name));
    statement->bind(2, governance::to_string(user.role));
    statement->bind(3, std::string_view(user.password_hash));
    statement->bind(4, user.created_at.micros());
    statement->bind(5, std::int64_t{user.disabled ? 1 : 0});
    // A concurrent add of the same name lands here as a primary key error.
    if (auto ok = statement->run(); !ok) {
      return fail("governance storage: cannot add user '{}': {}", user.name, ok.error().message);
    }
    return {};
  }

  Result<void> set_password(const std::string& user, const std::string& hash) override {
    return update_user(user, "password_hash",
                       [&](Statement& s) { s.bind(1, std::string_view(hash)); });
  }

  Result<void> set_disabled(const std::string& user, bool disabled) override {
    return update_user(user, "disabled",
                       [&](Statement& s) { s.bind(1, std::int64_t{disabled ? 1 : 0}); });
  }

  Result<std::optional<User>> find_user(const std::string& name) override {
    return lookup_user(find_user_, name, "user lookup");
  }

  Result<std::vector<User>> users() override {
    auto statement = db_.prepare(fmt::format("SELECT {} FROM users ORDER BY name", kUserColumns));
    if (!statement) return fail(statement.error());
    std::vector<User> out;
    for (;;) {
      auto row = statement->step();
      if (!row) return fail("governance storage: reading users failed: {}", row.error().message);
      if (!*row) break;
      auto user = read_user(*statement);
      if (!user) return fail(user.error());
      out.push_back(std::move(*user));
    }
    return out;
  }

  Result<void> add_token(const std::string& user, const std::string& digest_hex,
                         Timestamp created_at) override {
    if (digest_hex.empty()) return fail("governance storage: a token needs a digest");
    auto owner = find_user(user);
    if (!owner) return fail(owner.error());
    if (!*owner) return fail("governance storage: cannot add a token for unknown user '{}'", user);
    auto statement =
        db_.prepare("INSERT INTO api_tokens (digest, user, created_at) VALUES (?1, ?2, ?3)");
    if (!statement) return fail(statement.error());
    statement->bind(1, std::string_view(digest_hex));
    statement->bind(2, std::string_view(user));
    statement->bind(3, created_at.micros());
    // The SQLite message of a duplicate names the column, not the value.
    if (auto ok = statement->run(); !ok) {
      return fail("governance storage: cannot add a token for user '{}': {}", user,
                  ok.error().message);
    }
    return {};
  }

  Result<std::optional<std::string>> find_token_user(const std::string& digest_hex) override {
    const Rewind rewind(find_token_user_);
    find_token_user_.bind(1, std::string_view(digest_hex));
    auto row = find_token_user_.step();
    if (!row) return fail("governance storage: token lookup failed: {}", row.error().message);
    if (!*row) return std::optional<std::string>{};
    return std::optional<std::string>(std::string(find_token_user_.column_text(0)));
  }

  Result<std::optional<User>> find_token_owner(const std::string& digest_hex) override {
    return lookup_user(find_token_owner_, digest_hex, "token lookup");
  }

  Result<void> add_consent(const Consent& consent) override {
    if (consent.id.empty()) return fail("governance storage: a consent needs an id");
    auto existing = db_.prepare("SELECT 1 FROM consents WHERE id = ?1");
    if (!existing) return fail(existing.error());
    existing->bind(1, std::string_view(consent.id));
    auto found = existing->step();
    if (!found) return fail("governance storage: consent lookup failed: {}", found.error().message);
    if (*found) return fail("governance storage: consent '{}' already exists", consent.id);
    existing->reset();

    std::string json;
    try {
      json = governance::consent_to_json(consent).dump(-1, ' ', false,
                                                       nlohmann::json::error_handler_t::strict);
    } catch (const nlohmann::json::exception&) {
      return fail("governance storage: consent '{}' has text that is not valid UTF-8", consent.id);
    }
    auto statement = db_.prepare(
        "INSERT INTO consents (id, agreement_id, user, purpose, data_since, data_until, "
        "recorded_at, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!statement) return fail(statement.error());
    statement->bind(1, std::string_view(consent.id));
    statement->bind(2, std::string_view(consent.agreement_id));
    statement->bind(3, std::string_view(consent.user));
    statement->bind(4, std::string_view(consent.purpose));
    statement->bind(5, consent.data_since.micros());
    statement->bind(6, consent.data_until.micros());
    statement->bind(7, consent.recorded_at.micros());
    statement->bind(8, std::string_view(json));
    if (auto ok = statement->run(); !ok) {
      return fail("governance storage: cannot add consent '{}': {}", consent.id,
                  ok.error().message);
    }
    return {};
  }

  // Oldest first (insertion order).
  Result<std::vector<Consent>> consents() override {
    auto statement = db_.prepare("SELECT id, json FROM consents ORDER BY rowid");
    if (!statement) return fail(statement.error());
    std::vector<Consent> out;
    for (;;) {
      auto row = statement->step();
      if (!row) return fail("governance storage: reading consents failed: {}", row.error().message);
      if (!*row) break;
      const std::string id(statement->column_text(0));
      const auto json = nlohmann::json::parse(statement->column_text(1), nullptr, false);
      if (json.is_discarded()) {
        return fail("governance storage '{}': consent '{}' is stored as invalid JSON", path_, id);
      }
      auto consent = governance::consent_from_json(json);
      if (!consent) {
        return fail("governance storage '{}': consent '{}' is unreadable: {}", path_, id,
                    consent.error().message);
      }
      if (consent->id != id) {
        return fail("governance storage '{}': consent row '{}' holds consent '{}'", path_, id,
                    consent->id);
      }
      out.push_back(std::move(*consent));
    }
    return out;
  }

 private:
  template <class Bind>
  Result<void> update_user(const std::string& user, const char* column, Bind bind) {
    auto statement = db_.prepare(fmt::format("UPDATE users SET {} = ?1 WHERE name = ?2", column));
    if (!statement) return fail(statement.error());
    bind(*statement);
    statement->bind(2, std::string_view(user));
    if (auto ok = statement->run(); !ok) {
      return fail("governance storage: cannot update user '{}': {}", user, ok.error().message);
    }
    if (db_.changes() == 0) return fail("governance storage: no user '{}'", user);
    return {};
  }

  // At most one user from a cached statement selecting kUserColumns by its ?1.
  Result<std::optional<User>> lookup_user(Statement& statement, std::string_view key,
                                          const char* what) {
    const Rewind rewind(statement);
    statement.bind(1, key);
    auto row = statement.step();
    if (!row) return fail("governance storage: {} failed: {}", what, row.error().message);
    if (!*row) return std::optional<User>{};
    auto user = read_user(statement);
    if (!user) return fail(user.error());
    return std::optional<User>(std::move(*user));
  }

  // The current row of a statement selecting kUserColumns.
  Result<User> read_user(const Statement& statement) const {
    User user;
    user.name = statement.column_text(0);
    auto role = governance::parse_role(statement.column_text(1));
    if (!role) {
      return fail("governance storage '{}': user '{}' has an unknown role: {}", path_, user.name,
                  role.error().message);
    }
    user.role = *role;
    user.password_hash = statement.column_text(2);
    user.created_at = Timestamp::from_micros(statement.column_int(3));
    user.disabled = statement.column_int(4) != 0;
    return user;
  }

  std::string path_;
  Database db_;  // declared before the statements: destroyed after them
  Statement find_user_;
  Statement find_token_user_;
  Statement find_token_owner_;
};

Result<std::unique_ptr<governance::GovernanceStorage>> open_sqlite(const SqliteOptions& options) {
  auto db = sqlite::open_database(options);
  if (!db) return fail(db.error());
  auto storage = std::make_unique<SqliteGovernanceStorage>(options.path, std::move(*db));
  if (auto ok = storage->prepare_statements(); !ok) {
    return fail("governance storage '{}': {}", options.path, ok.error().message);
  }
  return std::unique_ptr<governance::GovernanceStorage>(std::move(storage));
}

}  // namespace

Result<std::unique_ptr<governance::GovernanceStorage>> open_governance_storage(
    std::string_view url) {
  auto options = parse_store_url(url);
  if (!options) return fail(options.error());
  options->synchronous_full = true;  // see the header
  return open_sqlite(*options);
}

Result<std::unique_ptr<governance::GovernanceStorage>> open_governance_reader(
    std::string_view url) {
  auto options = parse_store_url(url);
  if (!options) return fail(options.error());
  if (options->path == ":memory:") {
    return fail(
        "governance storage: an in-memory database has no second connection to read it "
        "through");
  }
  options->read_only = true;
  return open_sqlite(*options);
}

}  // namespace mamori::store
