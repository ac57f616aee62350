// The ledger and governance storage conformance suites on SQLite, plus what only SQLite has:
// one file shared by the Store, the ledger and governance; append-only triggers; URL errors.

#include <sqlite3.h>

#include <gtest/gtest.h>

#include "governance_storage_conformance.h"
#include "ledger_storage_conformance.h"
#include "mamori/store/governance_storage.h"
#include "mamori/store/ledger_storage.h"
#include "mamori/store/sqlite_schema.h"
#include "mamori/store/store.h"
#include "raw_sqlite.h"
#include "test_records.h"

namespace mamori::store::testing {
namespace {

class SqliteFileLedgerFactory final : public LedgerStorageFactory {
 public:
  Result<std::unique_ptr<ledger::LedgerStorage>> open() override {
    return open_ledger_storage("sqlite:" + dir_.file("store.db"));
  }

 private:
  TempDir dir_;
};

class SqliteMemoryLedgerFactory final : public LedgerStorageFactory {
 public:
  Result<std::unique_ptr<ledger::LedgerStorage>> open() override {
    return open_ledger_storage("sqlite::memory:");
  }
};

INSTANTIATE_TEST_SUITE_P(
    Sqlite, LedgerStorageConformance,
    ::testing::Values(
        LedgerBackend{"sqlite_file", [] { return std::make_unique<SqliteFileLedgerFactory>(); }},
        LedgerBackend{"sqlite_memory", [] { return std::make_unique<SqliteMemoryLedgerFactory>(); },
                      false}),
    ledger_backend_name);

class SqliteFileGovernanceFactory final : public GovernanceStorageFactory {
 public:
  Result<std::unique_ptr<governance::GovernanceStorage>> open() override {
    return open_governance_storage("sqlite:" + dir_.file("store.db"));
  }

 private:
  TempDir dir_;
};

class SqliteMemoryGovernanceFactory final : public GovernanceStorageFactory {
 public:
  Result<std::unique_ptr<governance::GovernanceStorage>> open() override {
    return open_governance_storage("sqlite::memory:");
  }
};

INSTANTIATE_TEST_SUITE_P(
    Sqlite, GovernanceStorageConformance,
    ::testing::Values(
        GovernanceBackend{"sqlite_file",
                          [] { return std::make_unique<SqliteFileGovernanceFactory>(); }},
        GovernanceBackend{"sqlite_memory",
                          [] { return std::make_unique<SqliteMemoryGovernanceFactory>(); }, false}),
    governance_backend_name);

TEST(SqliteOversightStorage, StoreLedgerAndGovernanceShareOneFile) {
  TempDir dir;
  const std::string url = "sqlite:" + dir.file("store.db");
  // Opened in this order, the ledger is the one that creates and migrates the file.
  auto ledger_storage = open_ledger_storage(url);
  ASSERT_TRUE(ledger_storage) << ledger_storage.error().message;
  auto governance_storage = open_governance_storage(url);
  ASSERT_TRUE(governance_storage) << governance_storage.error().message;
  auto store = open_store(url);
  ASSERT_TRUE(store) << store.error().message;

  auto run = (*store)->begin_run({.sensor = "gw-1", .retention = Duration::seconds(60)});
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_TRUE((*store)->append(*run, make_records(0, 3, 1)));
  ASSERT_TRUE((*store)->flush());
  const std::vector<ledger::StoredLeaf> leaves = {{0, R"({"type":"run.started"})"}};
  auto appended = (*ledger_storage)->append(0, leaves, nullptr);
  ASSERT_TRUE(appended && *appended);
  ASSERT_TRUE(
      (*governance_storage)->add_user({.name = "alice", .role = governance::Role::analyst}));

  RawDb raw(dir.file("store.db"));
  EXPECT_EQ(raw.text("PRAGMA user_version"), std::to_string(store::sqlite::kSchemaVersion));
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.text("PRAGMA auto_vacuum"), "2");
  EXPECT_EQ(raw.text("SELECT count(*) FROM records"), "3");
  EXPECT_EQ(raw.text("SELECT count(*) FROM ledger_entries"), "1");
  EXPECT_EQ(raw.text("SELECT name FROM users"), "alice");
}

TEST(SqliteOversightStorage, LedgerTablesRefuseUpdateAndDelete) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  {
    auto storage = open_ledger_storage("sqlite:" + path);
    ASSERT_TRUE(storage) << storage.error().message;
    ledger::SignedTreeHead head;
    head.tree_size = 1;
    head.key_id = "k";
    const std::vector<ledger::StoredLeaf> leaves = {{0, "{}"}};
    auto appended = (*storage)->append(0, leaves, &head);
    ASSERT_TRUE(appended && *appended);
  }
  RawDb raw(path);
  EXPECT_NE(raw.try_exec("UPDATE ledger_entries SET leaf = 'x'"), SQLITE_OK);
  EXPECT_NE(raw.try_exec("DELETE FROM ledger_entries"), SQLITE_OK);
  EXPECT_NE(raw.try_exec("UPDATE ledger_tree_heads SET key_id = 'x'"), SQLITE_OK);
  EXPECT_NE(raw.try_exec("DELETE FROM ledger_tree_heads"), SQLITE_OK);
  EXPECT_EQ(raw.text("SELECT leaf FROM ledger_entries"), "{}");
  EXPECT_EQ(raw.text("SELECT key_id FROM ledger_tree_heads"), "k");
}

TEST(SqliteOversightStorage, ReadOnlyLedgerReadsButNeverAppends) {
  TempDir dir;
  const std::string url = "sqlite:" + dir.file("store.db");
  {
    auto storage = open_ledger_storage(url);
    ASSERT_TRUE(storage);
    const std::vector<ledger::StoredLeaf> leaves = {{0, "{}"}};
    ASSERT_TRUE((*storage)->append(0, leaves, nullptr));
  }
  auto reader = open_ledger_storage(url + "?mode=ro");
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ(*(*reader)->size(), 1u);
  const std::vector<ledger::StoredLeaf> more = {{1, "{}"}};
  EXPECT_FALSE((*reader)->append(1, more, nullptr));
  EXPECT_EQ(*(*reader)->size(), 1u);
  auto governance_reader = open_governance_storage(url + "?mode=ro");
  ASSERT_TRUE(governance_reader) << governance_reader.error().message;
  EXPECT_FALSE((*governance_reader)->add_user({.name = "alice"}));
}

// The console's readers (open_governance_reader): read-only, and their lookups hold no read
// transaction between calls, so a checkpoint of the writing side empties the WAL completely.
TEST(SqliteOversightStorage, GovernanceReaderSeesWritesAndNeverHoldsBackACheckpoint) {
  TempDir dir;
  const std::string url = "sqlite:" + dir.file("store.db");
  auto writer = open_governance_storage(url);
  ASSERT_TRUE(writer) << writer.error().message;
  const std::string digest(64, 'a');
  ASSERT_TRUE((*writer)->add_user({.name = "alice", .role = governance::Role::analyst}));
  ASSERT_TRUE((*writer)->add_token("alice", digest, Timestamp::from_seconds(1)));
  auto reader = open_governance_reader(url + "?sync=normal");
  ASSERT_TRUE(reader) << reader.error().message;
  auto owner = (*reader)->find_token_owner(digest);
  ASSERT_TRUE(owner && *owner) << (owner ? "no owner" : owner.error().message);
  EXPECT_FALSE((*owner)->disabled);
  ASSERT_TRUE((*reader)->find_token_user(digest));
  ASSERT_TRUE((*reader)->find_user("alice"));

  ASSERT_TRUE((*writer)->set_disabled("alice", true));
  // wal_checkpoint(TRUNCATE) answers busy = 0 only when no reader holds a snapshot.
  RawDb raw(dir.file("store.db"));
  EXPECT_EQ(raw.text("PRAGMA wal_checkpoint(TRUNCATE)"), "0");
  owner = (*reader)->find_token_owner(digest);
  ASSERT_TRUE(owner && *owner);
  EXPECT_TRUE((*owner)->disabled);
  EXPECT_EQ(raw.text("PRAGMA wal_checkpoint(TRUNCATE)"), "0");

  EXPECT_FALSE((*reader)->add_user({.name = "mallory", .role = governance::Role::admin}));
  EXPECT_FALSE((*reader)->set_disabled("alice", false));
  auto memory = open_governance_reader("sqlite::memory:");
  EXPECT_FALSE(memory);
}

TEST(SqliteOversightStorage, UrlErrorsNeverEchoCredentials) {
  auto ledger_storage = open_ledger_storage("postgres://user:secret@db/mamori");
  ASSERT_FALSE(ledger_storage);
  EXPECT_EQ(ledger_storage.error().message.find("secret"), std::string::npos);
  auto governance_storage = open_governance_storage("mysql://user:secret@db/mamori");
  ASSERT_FALSE(governance_storage);
  EXPECT_EQ(governance_storage.error().message.find("secret"), std::string::npos);
  EXPECT_NE(governance_storage.error().message.find("'mysql:'"), std::string::npos);
}

}  // namespace
}  // namespace mamori::store::testing
