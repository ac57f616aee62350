#pragma once
// store/ledger_storage: the governance ledger's storage (ledger::LedgerStorage) in the store
// database. SQLite now: the same file as the Store, its own connection, the same migrations
// (tables ledger_entries and ledger_tree_heads, schema version 2, see sqlite_schema.cc).
// PostgreSQL later, behind the same function, passing tests/store/ledger_storage_conformance.h.
//
// Appends are serialised by the database, not by the caller: append() takes the write lock
// (BEGIN IMMEDIATE), compares the stored size with expected_size under it, and writes the
// leaves and the head in the same transaction, so of two processes appending at the same
// size exactly one succeeds and the other gets `false` and must re-read. The connection
// always runs with synchronous=FULL: a ledger append is durable when it returns, even across
// power loss, whatever `sync=` the URL asks for (ledger writes are rare, records are not).
// There is one tree head per tree size: an append whose head repeats a stored size is an
// error and writes nothing.

#include <memory>
#include <string_view>

#include "mamori/core/error.h"
#include "mamori/ledger/storage.h"

namespace mamori::store {

// `url` as for open_store (store.h). With mode=ro, append() fails and reads work.
Result<std::unique_ptr<ledger::LedgerStorage>> open_ledger_storage(std::string_view url);

}  // namespace mamori::store
