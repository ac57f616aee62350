#pragma once
// store/sqlite_db: thin RAII owners for an SQLite connection and its prepared statements,
// turning SQLite result codes into mamori::Result. Shared by the SQLite backends (the store's,
// and the registry's own file); sqlite3.h stays a private dependency of the store library, as
// this header only forward-declares its types.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mamori/core/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mamori::store::sqlite {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3_stmt* statement, sqlite3* db) : statement_(statement), db_(db) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  bool valid() const { return statement_ != nullptr; }

  // Binds by 1-based index or by ":name". Values are copied (SQLITE_TRANSIENT) unless noted.
  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text);
  void bind_blob(int index, std::span<const std::uint8_t> bytes);
  void bind_null(int index);
  int index_of(const char* name) const;

  // One step: true when a row is available, false when done.
  Result<bool> step();
  // Runs to completion, ignoring rows.
  Result<void> run();
  // Clears bindings and rewinds, so the statement can be used again.
  void reset();

  std::int64_t column_int(int column) const;
  bool column_is_null(int column) const;
  std::string_view column_text(int column) const;
  // The bytes stay valid until the next step(), reset() or column call on this column.
  std::span<const std::uint8_t> column_blob(int column) const;

 private:
  sqlite3_stmt* statement_ = nullptr;
  sqlite3* db_ = nullptr;
};

class Database {
 public:
  Database() = default;
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // `path` ":memory:" opens a private in-memory database.
  static Result<Database> open(const std::string& path, bool read_only, int busy_timeout_ms);

  // Runs one or more statements without results.
  Result<void> exec(const std::string& sql);
  // Prepares a statement; `persistent` hints that it lives as long as the connection.
  Result<Statement> prepare(std::string_view sql, bool persistent = false);
  // A single integer (or text) from a one-row query such as a PRAGMA.
  Result<std::int64_t> query_int(const std::string& sql);
  Result<std::string> query_text(const std::string& sql);

  std::int64_t last_insert_id() const;
  // Rows changed by the most recent INSERT, UPDATE or DELETE on this connection.
  std::int64_t changes() const;
  bool in_transaction() const;
  std::string error_message() const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

}  // namespace mamori::store::sqlite
