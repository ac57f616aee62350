// intel/sqlite_intel_storage: the SQLite schema and queries behind IntelStorage.

#include "mamori/intel/sqlite_intel_storage.h"

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

#include "mamori/store/sqlite_db.h"
#include "mamori/store/sqlite_migrate.h"

namespace mamori::intel {
namespace {

using nlohmann::json;
using store::sqlite::Database;
using store::sqlite::Statement;

// "mmin": marks the file as the intel database.
constexpr std::int64_t kApplicationId = 0x6d6d696e;

// Migration N takes the schema from version N to N+1. Never edit a released migration.
// Times are integer microseconds since the Unix epoch (UTC); `json` columns hold
// product_to_json (the source of truth), the other columns index it.
constexpr std::array<std::string_view, 1> kMigrations = {
    R"sql(
CREATE TABLE products (
  id         TEXT    NOT NULL,
  version    INTEGER NOT NULL CHECK (version >= 1),
  title      TEXT    NOT NULL,
  author     TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  json       TEXT    NOT NULL,
  PRIMARY KEY (id, version)
) WITHOUT ROWID;
CREATE TRIGGER products_no_update BEFORE UPDATE ON products
  BEGIN SELECT RAISE(ABORT, 'product versions are immutable'); END;
CREATE TRIGGER products_no_delete BEFORE DELETE ON products
  BEGIN SELECT RAISE(ABORT, 'product versions are immutable'); END;
CREATE TABLE provisions (
  ledger_seq      INTEGER PRIMARY KEY,
  at              INTEGER NOT NULL,
  recipient_id    TEXT    NOT NULL,
  recipient_class TEXT    NOT NULL,
  product_id      TEXT    NOT NULL,
  product_version INTEGER NOT NULL,
  type            TEXT    NOT NULL,
  tier            TEXT    NOT NULL,
  legal_basis     TEXT    NOT NULL,
  purpose         TEXT    NOT NULL,
  provided_by     TEXT    NOT NULL,
  details         TEXT    NOT NULL,
  content         TEXT    NOT NULL,
  FOREIGN KEY (product_id, product_version) REFERENCES products(id, version)
);
CREATE INDEX provisions_recipient ON provisions(recipient_id, at);
CREATE INDEX provisions_product ON provisions(product_id, at);
CREATE INDEX provisions_at ON provisions(at);
CREATE TRIGGER provisions_no_update BEFORE UPDATE ON provisions
  BEGIN SELECT RAISE(ABORT, 'provisions are append-only'); END;
CREATE TRIGGER provisions_no_delete BEFORE DELETE ON provisions
  BEGIN SELECT RAISE(ABORT, 'provisions are append-only'); END;
)sql",
};

static_assert(kMigrations.size() == kIntelSchemaVersion);

Result<std::string> dump(const json& value, std::string_view what) {
  try {
    return value.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception&) {
    return fail("{} has text that is not valid UTF-8", what);
  }
}

Result<json> parse(std::string_view text, std::string_view what) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return fail("stored {} is not valid JSON", what);
  return value;
}

Result<void> configure(Database& db, const std::string& path) {
  auto mode = db.query_text("PRAGMA journal_mode = WAL");
  if (!mode) return fail(mode.error());
  if (*mode != "wal" && path != ":memory:") {
    return fail("cannot switch to WAL mode (journal_mode is {})", *mode);
  }
  return db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

ProductVersionInfo version_info(const Statement& s) {
  return {std::string(s.column_text(0)), static_cast<std::uint32_t>(s.column_int(1)),
          std::string(s.column_text(2)), std::string(s.column_text(3)),
          Timestamp::from_micros(s.column_int(4))};
}

class SqliteIntelStorage final : public IntelStorage {
 public:
  SqliteIntelStorage(std::string path, Database db) : path_(std::move(path)), db_(std::move(db)) {}

  Result<Product> save_product(Product product) override {
    std::string what = fmt::format("storing product '{}'", product.id);
    if (product.tier != Tier::t1) {
      return fail("intel '{}': {}: only T1 products are stored; T2/T3 are derived", path_, what);
    }
    product.version = 0;
    if (auto ok = validate_product(product); !ok) {
      return fail("intel '{}': {}: {}", path_, what, ok.error().message);
    }
    auto written = write(what, [&]() -> Result<void> {
      auto next = db_.prepare("SELECT COALESCE(MAX(version), 0) + 1 FROM products WHERE id = ?1");
      if (!next) return fail(next.error());
      next->bind(1, std::string_view(product.id));
      auto row = next->step();
      if (!row) return fail(row.error());
      std::int64_t version = next->column_int(0);
      if (version > UINT32_MAX) return fail("too many versions");
      product.version = static_cast<std::uint32_t>(version);
      auto text = dump(product_to_json(product), "the product");
      if (!text) return fail(text.error());
      auto s = db_.prepare(
          "INSERT INTO products (id, version, title, author, created_at, json) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      if (!s) return fail(s.error());
      s->bind(1, std::string_view(product.id));
      s->bind(2, version);
      s->bind(3, std::string_view(product.title));
      s->bind(4, std::string_view(product.author));
      s->bind(5, product.created_at.micros());
      s->bind(6, std::string_view(*text));
      return s->run();
    });
    if (!written) return fail(written.error());
    return product;
  }

  Result<std::optional<Product>> product(std::string_view id, std::uint32_t version) override {
    auto s =
        db_.prepare(version == 0 ? "SELECT json FROM products WHERE id = ?1 ORDER BY version DESC "
                                   "LIMIT 1"
                                 : "SELECT json FROM products WHERE id = ?1 AND version = ?2");
    if (!s) return fail(s.error());
    s->bind(1, id);
    if (version != 0) s->bind(2, static_cast<std::int64_t>(version));
    auto row = s->step();
    if (!row) return fail("intel '{}': reading product '{}': {}", path_, id, row.error().message);
    if (!*row) return std::optional<Product>();
    auto value = parse(s->column_text(0), "product");
    if (!value) return fail("intel '{}': product '{}': {}", path_, id, value.error().message);
    auto parsed = product_from_json(*value);
    if (!parsed) return fail("intel '{}': product '{}': {}", path_, id, parsed.error().message);
    return std::optional<Product>(std::move(*parsed));
  }

  Result<std::vector<ProductVersionInfo>> product_versions(std::string_view id) override {
    return infos(
        "SELECT id, version, title, author, created_at FROM products WHERE id = ?1 "
        "ORDER BY version",
        id);
  }

  Result<std::vector<ProductVersionInfo>> latest_products() override {
    return infos(
        "SELECT id, MAX(version), title, author, created_at FROM products GROUP BY id ORDER BY id",
        std::nullopt);
  }

  Result<void> record_provision(const ProvisionRecord& record) override {
    return write(fmt::format("recording provision (ledger entry {})", record.ledger_seq),
                 [&]() -> Result<void> {
                   auto details = dump(record.details, "the provision details");
                   if (!details) return fail(details.error());
                   auto content = dump(record.content, "the provision content");
                   if (!content) return fail(content.error());
                   auto s = db_.prepare(
                       "INSERT INTO provisions (ledger_seq, at, recipient_id, recipient_class, "
                       "product_id, product_version, type, tier, legal_basis, purpose, "
                       "provided_by, details, content) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
                   if (!s) return fail(s.error());
                   s->bind(1, static_cast<std::int64_t>(record.ledger_seq));
                   s->bind(2, record.at.micros());
                   s->bind(3, std::string_view(record.recipient_id));
                   s->bind(4, to_string(record.recipient_class));
                   s->bind(5, std::string_view(record.product_id));
                   s->bind(6, static_cast<std::int64_t>(record.product_version));
                   s->bind(7, to_string(record.type));
                   s->bind(8, to_string(record.tier));
                   s->bind(9, std::string_view(record.legal_basis));
                   s->bind(10, std::string_view(record.purpose));
                   s->bind(11, std::string_view(record.provided_by));
                   s->bind(12, std::string_view(*details));
                   s->bind(13, std::string_view(*content));
                   return s->run();
                 });
  }

  Result<std::vector<ProvisionRecord>> provisions(const ProvisionQuery& query) override {
    auto s = db_.prepare(
        "SELECT ledger_seq, at, recipient_id, recipient_class, product_id, product_version, "
        "type, tier, legal_basis, purpose, provided_by, details, content FROM provisions "
        "WHERE (?1 = '' OR recipient_id = ?1) AND (?2 = '' OR product_id = ?2) "
        "AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4) ORDER BY at, ledger_seq");
    if (!s) return fail(s.error());
    s->bind(1, std::string_view(query.recipient_id));
    s->bind(2, std::string_view(query.product_id));
    if (query.since) {
      s->bind(3, query.since->micros());
    } else {
      s->bind_null(3);
    }
    if (query.until) {
      s->bind(4, query.until->micros());
    } else {
      s->bind_null(4);
    }
    std::vector<ProvisionRecord> out;
    for (;;) {
      auto row = s->step();
      if (!row) return fail("intel '{}': reading provisions: {}", path_, row.error().message);
      if (!*row) return out;
      auto record = provision_from_row(*s);
      if (!record) return fail("intel '{}': {}", path_, record.error().message);
      out.push_back(std::move(*record));
    }
  }

 private:
  static Result<ProvisionRecord> provision_from_row(const Statement& s) {
    ProvisionRecord record;
    record.ledger_seq = static_cast<std::uint64_t>(s.column_int(0));
    std::string where = fmt::format("provision (ledger entry {})", record.ledger_seq);
    record.at = Timestamp::from_micros(s.column_int(1));
    record.recipient_id = std::string(s.column_text(2));
    auto recipient_class = parse_recipient_class(s.column_text(3));
    if (!recipient_class) return fail("{}: {}", where, recipient_class.error().message);
    record.recipient_class = *recipient_class;
    record.product_id = std::string(s.column_text(4));
    record.product_version = static_cast<std::uint32_t>(s.column_int(5));
    auto type = parse_provision_type(s.column_text(6));
    if (!type) return fail("{}: {}", where, type.error().message);
    record.type = *type;
    auto tier = parse_tier(s.column_text(7));
    if (!tier) return fail("{}: {}", where, tier.error().message);
    record.tier = *tier;
    record.legal_basis = std::string(s.column_text(8));
    record.purpose = std::string(s.column_text(9));
    record.provided_by = std::string(s.column_text(10));
    auto details = parse(s.column_text(11), "provision details");
    if (!details) return fail("{}: {}", where, details.error().message);
    record.details = std::move(*details);
    auto content = parse(s.column_text(12), "provision content");
    if (!content) return fail("{}: {}", where, content.error().message);
    record.content = std::move(*content);
    return record;
  }

  Result<std::vector<ProductVersionInfo>> infos(std::string_view sql,
                                                std::optional<std::string_view> bound) {
    auto s = db_.prepare(sql);
    if (!s) return fail(s.error());
    if (bound) s->bind(1, *bound);
    std::vector<ProductVersionInfo> out;
    for (;;) {
      auto row = s->step();
      if (!row) return fail("intel '{}': reading products: {}", path_, row.error().message);
      if (!*row) return out;
      out.push_back(version_info(*s));
    }
  }

  // One IMMEDIATE transaction; a failure rolls back and names what was being done.
  template <class Body>
  Result<void> write(const std::string& what, Body body) {
    if (auto ok = db_.exec("BEGIN IMMEDIATE"); !ok) {
      return fail("intel '{}': {}: cannot start a transaction: {}", path_, what,
                  ok.error().message);
    }
    Result<void> result = body();
    if (result) result = db_.exec("COMMIT");
    if (!result) {
      if (db_.in_transaction()) (void)db_.exec("ROLLBACK");
      return fail("intel '{}': {}: {}", path_, what, result.error().message);
    }
    return {};
  }

  std::string path_;
  Database db_;
};

}  // namespace

Result<std::unique_ptr<IntelStorage>> open_sqlite_intel_storage(const std::string& path) {
  auto db = Database::open(path, /*read_only=*/false, /*busy_timeout_ms=*/5000);
  if (!db) return fail("cannot open intel database '{}': {}", path, db.error().message);
  if (auto ok = configure(*db, path); !ok) {
    return fail("cannot open intel database '{}': {}", path, ok.error().message);
  }
  if (auto ok = store::migrate_schema(*db, {"intel", kApplicationId, kMigrations}); !ok) {
    return fail("cannot open intel database '{}': {}", path, ok.error().message);
  }
  return std::unique_ptr<IntelStorage>(std::make_unique<SqliteIntelStorage>(path, std::move(*db)));
}

}  // namespace mamori::intel
