#include "mamori/store/ledger_storage.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "mamori/store/sqlite_open.h"
#include "mamori/store/sqlite_options.h"

namespace mamori::store {
namespace {

using sqlite::Database;
using sqlite::Statement;

constexpr auto kMaxSeq = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// Rejects calls that break the append contract of ledger/storage.h (caller bugs), before any
// write.
Result<void> check_append(std::uint64_t expected_size, std::span<const ledger::StoredLeaf> leaves,
                          const ledger::SignedTreeHead* head) {
  if (expected_size > kMaxSeq || leaves.size() > kMaxSeq - expected_size) {
    return fail("ledger storage: sequence numbers beyond {} cannot be stored", kMaxSeq);
  }
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    if (leaves[i].seq != expected_size + i) {
      return fail("ledger storage: leaf {} of the append has seq {}, expected {}", i, leaves[i].seq,
                  expected_size + i);
    }
  }
  if (head != nullptr && head->tree_size != expected_size + leaves.size()) {
    return fail("ledger storage: tree head has tree_size {}, but the append ends at size {}",
                head->tree_size, expected_size + leaves.size());
  }
  return {};
}

class SqliteLedgerStorage final : public ledger::LedgerStorage {
 public:
  SqliteLedgerStorage(std::string path, Database db) : path_(std::move(path)), db_(std::move(db)) {}

  Result<bool> append(std::uint64_t expected_size, std::span<const ledger::StoredLeaf> leaves,
                      const ledger::SignedTreeHead* head) override {
    if (auto ok = check_append(expected_size, leaves, head); !ok) return fail(ok.error());
    // IMMEDIATE: the size check and the inserts happen under one write lock, so no other
    // connection can append in between.
    if (auto ok = db_.exec("BEGIN IMMEDIATE"); !ok) {
      return fail("ledger storage '{}': cannot lock for append: {}", path_, ok.error().message);
    }
    auto appended = append_locked(expected_size, leaves, head);
    if (!appended || !*appended) {
      (void)db_.exec("ROLLBACK");
      if (!appended) {
        return fail("ledger storage '{}': append at size {} wrote nothing: {}", path_,
                    expected_size, appended.error().message);
      }
      return false;
    }
    if (auto ok = db_.exec("COMMIT"); !ok) {
      (void)db_.exec("ROLLBACK");
      return fail("ledger storage '{}': append at size {} wrote nothing (commit failed): {}", path_,
                  expected_size, ok.error().message);
    }
    return true;
  }

  Result<std::uint64_t> size() override {
    auto count = db_.query_int("SELECT count(*) FROM ledger_entries");
    if (!count) return fail("ledger storage '{}': {}", path_, count.error().message);
    return static_cast<std::uint64_t>(*count);
  }

  Result<std::vector<ledger::StoredLeaf>> read(std::uint64_t from, std::uint64_t count) override {
    std::vector<ledger::StoredLeaf> out;
    if (count == 0 || from > kMaxSeq) return out;
    const std::uint64_t end = count > kMaxSeq - from ? kMaxSeq : from + count;
    auto statement = db_.prepare(
        "SELECT seq, leaf FROM ledger_entries WHERE seq >= ?1 AND seq < ?2 "
        "ORDER BY seq");
    if (!statement) return fail(statement.error());
    statement->bind(1, static_cast<std::int64_t>(from));
    statement->bind(2, static_cast<std::int64_t>(end));
    for (;;) {
      auto row = statement->step();
      if (!row) return fail("ledger storage '{}': read failed: {}", path_, row.error().message);
      if (!*row) break;
      out.push_back({static_cast<std::uint64_t>(statement->column_int(0)),
                     std::string(statement->column_text(1))});
    }
    return out;
  }

  Result<std::vector<ledger::SignedTreeHead>> tree_heads() override {
    auto statement = db_.prepare(
        "SELECT tree_size, root, timestamp, key_id, signature FROM ledger_tree_heads "
        "ORDER BY tree_size");
    if (!statement) return fail(statement.error());
    std::vector<ledger::SignedTreeHead> out;
    for (;;) {
      auto row = statement->step();
      if (!row) {
        return fail("ledger storage '{}': reading tree heads failed: {}", path_,
                    row.error().message);
      }
      if (!*row) break;
      ledger::SignedTreeHead head;
      head.tree_size = static_cast<std::uint64_t>(statement->column_int(0));
      const auto root = statement->column_blob(1);
      const auto signature = statement->column_blob(4);
      // The schema checks the lengths; a file edited around it is reported, not trusted.
      if (root.size() != head.root.size() || signature.size() != head.signature.size()) {
        return fail(
            "ledger storage '{}': tree head at size {} has a {}-byte root and a {}-byte "
            "signature (expected {} and {})",
            path_, head.tree_size, root.size(), signature.size(), head.root.size(),
            head.signature.size());
      }
      std::copy(root.begin(), root.end(), head.root.begin());
      head.timestamp = Timestamp::from_micros(statement->column_int(2));
      head.key_id = statement->column_text(3);
      std::copy(signature.begin(), signature.end(), head.signature.begin());
      out.push_back(std::move(head));
    }
    return out;
  }

 private:
  // Inside the write transaction: false (and nothing inserted) when the stored ledger is no
  // longer at expected_size.
  Result<bool> append_locked(std::uint64_t expected_size,
                             std::span<const ledger::StoredLeaf> leaves,
                             const ledger::SignedTreeHead* head) {
    // Both the count and the next seq must match: a store with a gap is not at any size a
    // writer can safely continue from.
    auto stored = db_.prepare("SELECT count(*), coalesce(max(seq) + 1, 0) FROM ledger_entries");
    if (!stored) return fail(stored.error());
    auto row = stored->step();
    if (!row) return fail(row.error());
    if (!*row) return fail("size query returned no row");
    const auto count = static_cast<std::uint64_t>(stored->column_int(0));
    const auto next = static_cast<std::uint64_t>(stored->column_int(1));
    stored->reset();
    if (count != expected_size || next != expected_size) return false;

    auto insert_leaf = db_.prepare("INSERT INTO ledger_entries (seq, leaf) VALUES (?1, ?2)");
    if (!insert_leaf) return fail(insert_leaf.error());
    for (const auto& leaf : leaves) {
      insert_leaf->bind(1, static_cast<std::int64_t>(leaf.seq));
      insert_leaf->bind(2, std::string_view(leaf.leaf));
      if (auto ok = insert_leaf->run(); !ok) {
        return fail("inserting entry {}: {}", leaf.seq, ok.error().message);
      }
    }
    if (head != nullptr) {
      auto insert_head = db_.prepare(
          "INSERT INTO ledger_tree_heads (tree_size, root, timestamp, key_id, signature) "
          "VALUES (?1, ?2, ?3, ?4, ?5)");
      if (!insert_head) return fail(insert_head.error());
      insert_head->bind(1, static_cast<std::int64_t>(head->tree_size));
      insert_head->bind_blob(2, head->root);
      insert_head->bind(3, head->timestamp.micros());
      insert_head->bind(4, std::string_view(head->key_id));
      insert_head->bind_blob(5, head->signature);
      if (auto ok = insert_head->run(); !ok) {
        return fail("inserting the tree head at size {}: {}", head->tree_size, ok.error().message);
      }
    }
    return true;
  }

  std::string path_;
  Database db_;
};

}  // namespace

Result<std::unique_ptr<ledger::LedgerStorage>> open_ledger_storage(std::string_view url) {
  auto options = parse_store_url(url);
  if (!options) return fail(options.error());
  options->synchronous_full = true;  // see the header: ledger appends survive power loss
  auto db = sqlite::open_database(*options);
  if (!db) return fail(db.error());
  return std::unique_ptr<ledger::LedgerStorage>(
      std::make_unique<SqliteLedgerStorage>(options->path, std::move(*db)));
}

}  // namespace mamori::store
