#pragma once
// store/postgres_db: a thin RAII owner of a libpq connection for the PostgreSQL store, turning
// libpq results into mamori::Result. Error texts carry the server's primary message and
// SQLSTATE only: PostgreSQL's DETAIL and CONTEXT lines quote row values (a duplicate key,
// the COPY line that failed), which must never reach a log (I1).

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"

struct pg_conn;
struct pg_result;

namespace mamori::store::postgres {

struct ResultDeleter {
  void operator()(pg_result* result) const;
};

// A query's rows (text format).
class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* result) : result_(result) {}
  int size() const;
  bool is_null(int row, int column) const;
  std::string_view text(int row, int column) const;
  // Fails naming the column if the value is not an integer.
  Result<std::int64_t> integer(int row, int column) const;
  // Rows a command changed (INSERT/UPDATE/DELETE), from its command tag.
  std::int64_t affected() const;

 private:
  std::unique_ptr<pg_result, ResultDeleter> result_;
};

// A failed command: the server's primary message and SQLSTATE.
struct DbError {
  std::string message;
  std::string sqlstate;
};

// Text parameters; std::nullopt is SQL NULL.
using Params = std::vector<std::optional<std::string>>;

class Connection {
 public:
  Connection() = default;
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Connects; the error names the server (libpq's message) but never repeats `conninfo`.
  static Result<Connection> open(const std::string& conninfo);

  // One or more statements without parameters.
  std::expected<Rows, DbError> exec(const std::string& sql);
  std::expected<Rows, DbError> exec(const std::string& sql, const Params& params);
  // COPY … FROM STDIN with data in the format `sql` names, made while it is sent: `next` appends
  // the next piece to its (emptied) argument and returns false after the last one. The
  // server inserts each piece's rows while the next is made, and libpq never holds a second
  // copy of a whole batch.
  std::expected<void, DbError> copy_in(const std::string& sql,
                                       const std::function<bool(std::string&)>& next);
  // Server notices (e.g. VACUUM VERBOSE's INFO lines) are collected here while non-null.
  void collect_notices(std::vector<std::string>* into) { *notice_target_ = into; }

 private:
  explicit Connection(pg_conn* conn);
  static void on_notice(void* self, const pg_result* result);
  std::expected<Rows, DbError> check(pg_result* result);
  DbError connection_error() const;

  pg_conn* conn_ = nullptr;
  // Heap-held so that the notice receiver's pointer survives moves of the Connection.
  std::unique_ptr<std::vector<std::string>*> notice_target_;
};

}  // namespace mamori::store::postgres
