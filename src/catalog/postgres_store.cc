// The PostgreSQL implementation of Store (store.h), on libpq.
#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "catalog/store.h"
#include "common/redact.h"

namespace strata::catalog {
namespace {

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ConnHandle = std::unique_ptr<PGconn, ConnCloser>;
using ResultHandle = std::unique_ptr<PGresult, ResultClearer>;

// libpq's message with every form of the URL's passwords removed, on one line: libpq echoes
// malformed parts of a URL ("invalid percent-encoded token: \"...\""), so the passwords as written
// are scrubbed as plain text too, unless shorter than 4 characters (that would mask letters all
// over the message).
std::string CleanMessage(std::string why, const std::vector<std::string>& secrets) {
  for (char& c : why) {
    if (c == '\n') c = ' ';
  }
  while (!why.empty() && why.back() == ' ') why.pop_back();
  for (const std::string& secret : secrets) {
    if (secret.size() >= 4) why = RedactValue(why, secret);
  }
  return RedactUrl(why);
}

// Rewrites `?` placeholders to $1..$n, leaving '...' literals, "..." identifiers and
// comments untouched.
std::string NumberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      size_t end = sql.find(c, i + 1);
      while (end != std::string_view::npos && end + 1 < sql.size() && sql[end + 1] == c) {
        end = sql.find(c, end + 2);
      }
      if (end == std::string_view::npos) end = sql.size() - 1;
      out.append(sql.substr(i, end - i + 1));
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size() - 1;
      out.append(sql.substr(i, end - i + 1));
      i = end;
    } else if (c == '?') {
      out += '$' + std::to_string(next++);
    } else {
      out += c;
    }
  }
  return out;
}

class PostgresStore final : public Store {
 public:
  PostgresStore(ConnHandle conn, std::string name, std::vector<std::string> secrets)
      : conn_(std::move(conn)), name_(std::move(name)), secrets_(std::move(secrets)) {}

  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& display_name() const override { return name_; }

  Status Execute(std::string_view sql, const SqlParams& params) override {
    return Run(sql, params, nullptr);
  }
  Result<SqlRows> Query(std::string_view sql, const SqlParams& params) override {
    SqlRows rows;
    STRATA_RETURN_IF_ERROR(Run(sql, params, &rows));
    return rows;
  }
  Status ExecuteScript(std::string_view sql) override {
    ResultHandle result(PQexec(conn_.get(), std::string(sql).c_str()));
    return Check(result.get());
  }
  Status BeginWrite() override { return ExecuteScript("BEGIN"); }
  Status Commit() override { return ExecuteScript("COMMIT"); }
  Status Rollback() override { return ExecuteScript("ROLLBACK"); }

 private:
  Status Check(PGresult* result) const {
    ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
      return Status::OK();
    }
    std::string why =
        CleanMessage(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_.get()), secrets_);
    std::string message = "catalog " + name_ + ": " + why;
    if (PQstatus(conn_.get()) != CONNECTION_OK) return Status::IOError(message);
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string code = state ? state : "";
    // 23505 unique violation, 40001 serialization failure, 40P01 deadlock, 55P03 lock timeout.
    if (code == "23505" || code == "40001" || code == "40P01" || code == "55P03") {
      return Status::Conflict(message);
    }
    if (code.starts_with("08") || code.starts_with("53") || code.starts_with("57")) {
      return Status::IOError(message);
    }
    return Status::InvalidArgument(message);
  }

  Status Run(std::string_view sql, const SqlParams& params, SqlRows* rows) {
    std::string text = NumberPlaceholders(sql);
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      const SqlParam& p = params[i];
      if (std::holds_alternative<std::monostate>(p)) continue;
      if (const auto* n = std::get_if<int64_t>(&p)) {
        storage[i] = std::to_string(*n);
      } else if (const auto* d = std::get_if<double>(&p)) {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%.17g", *d);
        storage[i] = buffer;
      } else {
        storage[i] = std::get<std::string>(p);
      }
      values[i] = storage[i].c_str();
    }
    ResultHandle result(PQexecParams(conn_.get(), text.c_str(), static_cast<int>(params.size()),
                                     nullptr, values.data(), nullptr, nullptr, 0));
    STRATA_RETURN_IF_ERROR(Check(result.get()));
    if (rows == nullptr) return Status::OK();
    int n_rows = PQntuples(result.get());
    int n_cols = PQnfields(result.get());
    rows->reserve(rows->size() + n_rows);
    for (int r = 0; r < n_rows; ++r) {
      SqlRow row;
      row.cells.reserve(n_cols);
      for (int c = 0; c < n_cols; ++c) {
        if (PQgetisnull(result.get(), r, c)) {
          row.cells.emplace_back(std::nullopt);
        } else {
          row.cells.emplace_back(
              std::string(PQgetvalue(result.get(), r, c), PQgetlength(result.get(), r, c)));
        }
      }
      rows->push_back(std::move(row));
    }
    return Status::OK();
  }

  ConnHandle conn_;
  std::string name_;
  std::vector<std::string> secrets_;  // the URL's passwords, only to scrub messages
};

// libpq prints NOTICEs (e.g. "relation already exists, skipping") to stderr by default.
void IgnoreNotice(void*, const char*) {}

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url) {
  std::string name = RedactUrl(url);
  std::vector<std::string> secrets = SecretsIn(url);
  ConnHandle conn(PQconnectdb(url.c_str()));
  if (!conn) return Status::ResourceExhausted("catalog " + name + ": out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Status::IOError("catalog " + name + ": " +
                           CleanMessage(PQerrorMessage(conn.get()), secrets));
  }
  PQsetNoticeProcessor(conn.get(), IgnoreNotice, nullptr);
  auto store = std::make_unique<PostgresStore>(std::move(conn), name, std::move(secrets));
  // Timestamps are stored as ISO text in UTC; the session zone only matters for now().
  STRATA_RETURN_IF_ERROR(store->ExecuteScript("SET TIME ZONE 'UTC'"));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace strata::catalog
