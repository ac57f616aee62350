#pragma once
// tests/store/raw_sqlite: an independent look at an SQLite store file, bypassing the store
// (integrity_check, pragmas, rows committed by another connection, tampering).

#include <sqlite3.h>

#include <string>

#include <gtest/gtest.h>

namespace mamori::store::testing {

// An independent look at the file, bypassing the store.
class RawDb {
 public:
  explicit RawDb(const std::string& path, bool create = false) {
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, flags, nullptr), SQLITE_OK) << path;
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  std::string text(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    std::string out = "<error>";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      const auto* value = sqlite3_column_text(statement, 0);
      out = value != nullptr ? reinterpret_cast<const char*>(value) : "<null>";
    }
    sqlite3_finalize(statement);
    return out;
  }
  // Column `column` of every row, one per line.
  std::string rows(const std::string& sql, int column) {
    sqlite3_stmt* statement = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK)
      return "<error>";
    while (sqlite3_step(statement) == SQLITE_ROW) {
      const auto* value = sqlite3_column_text(statement, column);
      out += value != nullptr ? reinterpret_cast<const char*>(value) : "<null>";
      out += '\n';
    }
    sqlite3_finalize(statement);
    return out;
  }
  void exec(const std::string& sql) {
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql;
  }
  // The result code, for statements a test expects to fail.
  int try_exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace mamori::store::testing
