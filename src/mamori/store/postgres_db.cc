#include "mamori/store/postgres_db.h"

#include <libpq-fe.h>

#include <charconv>
#include <utility>

namespace mamori::store::postgres {
namespace {

std::string trimmed(const char* text) {
  std::string out = text != nullptr ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

void ResultDeleter::operator()(pg_result* result) const { PQclear(result); }

int Rows::size() const { return result_ ? PQntuples(result_.get()) : 0; }

bool Rows::is_null(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view Rows::text(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

Result<std::int64_t> Rows::integer(int row, int column) const {
  const std::string_view value = text(row, column);
  std::int64_t out = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (error != std::errc{} || end != value.data() + value.size()) {
    return fail("column '{}' is not an integer", PQfname(result_.get(), column));
  }
  return out;
}

std::int64_t Rows::affected() const {
  const char* tuples = result_ ? PQcmdTuples(result_.get()) : "";
  std::int64_t out = 0;
  std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), out);
  return out;
}

Connection::Connection(pg_conn* conn)
    : conn_(conn), notice_target_(std::make_unique<std::vector<std::string>*>(nullptr)) {
  PQsetNoticeReceiver(conn_, &Connection::on_notice, notice_target_.get());
}

Connection::Connection(Connection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)), notice_target_(std::move(other.notice_target_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
    notice_target_ = std::move(other.notice_target_);
  }
  return *this;
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

void Connection::on_notice(void* self, const pg_result* result) {
  auto* target = *static_cast<std::vector<std::string>**>(self);
  if (target != nullptr) target->push_back(trimmed(PQresultErrorMessage(result)));
}

Result<Connection> Connection::open(const std::string& conninfo) {
  // Parse first: libpq's parse errors quote the offending text, which may be a password.
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (parsed == nullptr) {
    PQfreemem(parse_error);
    return fail("PostgreSQL store: the connection string is not a valid libpq conninfo or URI");
  }
  PQconninfoFree(parsed);
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return fail("PostgreSQL store: out of memory connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return fail("PostgreSQL store: cannot connect: {}", message);
  }
  Connection connection(conn);
  if (auto ok = connection.exec("SET client_encoding = 'UTF8'; SET client_min_messages = warning");
      !ok) {
    return fail("PostgreSQL store: cannot configure the connection: {}", ok.error().message);
  }
  return connection;
}

DbError Connection::connection_error() const { return {trimmed(PQerrorMessage(conn_)), ""}; }

std::expected<Rows, DbError> Connection::check(pg_result* raw) {
  Rows rows(raw);
  if (raw == nullptr) return std::unexpected(connection_error());
  const ExecStatusType status = PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return rows;
  const char* primary = PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
  const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  DbError error{primary != nullptr ? primary : trimmed(PQresultErrorMessage(raw)),
                state != nullptr ? state : ""};
  if (!error.sqlstate.empty()) error.message += " (SQLSTATE " + error.sqlstate + ")";
  return std::unexpected(std::move(error));
}

std::expected<Rows, DbError> Connection::exec(const std::string& sql) {
  return check(PQexec(conn_, sql.c_str()));
}

std::expected<Rows, DbError> Connection::exec(const std::string& sql, const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  return check(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0));
}

std::expected<void, DbError> Connection::copy_in(const std::string& sql,
                                                 const std::function<bool(std::string&)>& next) {
  PGresult* start = PQexec(conn_, sql.c_str());
  if (start == nullptr) return std::unexpected(connection_error());
  if (PQresultStatus(start) != PGRES_COPY_IN) {
    auto failed = check(start);
    if (!failed) return std::unexpected(failed.error());
    return std::unexpected(DbError{"COPY did not start", ""});
  }
  PQclear(start);
  std::string piece;
  bool sent = true;
  for (bool more = true; sent && more;) {
    piece.clear();
    more = next(piece);
    if (!piece.empty()) {
      sent = PQputCopyData(conn_, piece.data(), static_cast<int>(piece.size())) == 1;
    }
  }
  if (PQputCopyEnd(conn_, sent ? nullptr : "client failed to send") != 1) {
    return std::unexpected(connection_error());
  }
  std::expected<void, DbError> outcome;
  while (PGresult* result = PQgetResult(conn_)) {
    auto checked = check(result);
    if (!checked && outcome) outcome = std::unexpected(checked.error());
  }
  if (!sent && outcome) outcome = std::unexpected(connection_error());
  return outcome;
}

}  // namespace mamori::store::postgres
