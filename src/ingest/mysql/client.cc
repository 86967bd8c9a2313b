#include "ingest/mysql/client.h"

#include <mysql.h>
#include <mysqld_error.h>

#include <charconv>

#include "common/redact.h"

namespace strata::ingest::mysql {

std::string ConnectionSpec::Describe() const {
  return user + "@" + host + ":" + std::to_string(port) + (database.empty() ? "" : "/" + database);
}

Result<ConnectionSpec> ParseMysqlUrl(std::string_view url) {
  constexpr std::string_view kScheme = "mysql://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status::InvalidArgument("connection '" + RedactUrl(url) +
                                   "' must look like mysql://user@host:port/database");
  }
  std::string_view rest = url.substr(kScheme.size());
  ConnectionSpec spec;
  size_t at = rest.find('@');
  if (at == std::string_view::npos) {
    return Status::InvalidArgument("connection '" + RedactUrl(url) +
                                   "' has no user (mysql://user@host:port/database)");
  }
  std::string_view user = rest.substr(0, at);
  if (user.find(':') != std::string_view::npos) {
    return Status::InvalidArgument(
        "connection URL holds a password: put it in `password: ${secret:NAME}` instead");
  }
  spec.user = std::string(user);
  rest = rest.substr(at + 1);
  size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos) spec.database = std::string(rest.substr(slash + 1));
  size_t colon = hostport.rfind(':');
  spec.host = std::string(hostport.substr(0, colon));
  if (colon != std::string_view::npos) {
    std::string_view port = hostport.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), spec.port);
    if (ec != std::errc() || end != port.data() + port.size() || spec.port <= 0 ||
        spec.port > 65535) {
      return Status::InvalidArgument("connection '" + RedactUrl(url) + "': bad port '" +
                                     std::string(port) + "'");
    }
  }
  if (spec.host.empty() || spec.user.empty() || spec.database.empty()) {
    return Status::InvalidArgument("connection '" + RedactUrl(url) +
                                   "' needs a user, a host and a database");
  }
  return spec;
}

Result<std::unique_ptr<Client>> Client::Connect(const ConnectionSpec& spec) {
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return Status::ResourceExhausted("mysql_init failed");
  unsigned int timeout = static_cast<unsigned int>(spec.connect_timeout_seconds);
  mysql_optionsv(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (spec.read_timeout_seconds > 0) {
    unsigned int read = static_cast<unsigned int>(spec.read_timeout_seconds);
    mysql_optionsv(mysql, MYSQL_OPT_READ_TIMEOUT, &read);
  }
  mysql_optionsv(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  std::unique_ptr<Client> client(new Client(mysql, spec));
  if (mysql_real_connect(mysql, spec.host.c_str(), spec.user.c_str(), spec.password.c_str(),
                         spec.database.c_str(), static_cast<unsigned int>(spec.port), nullptr,
                         0) == nullptr) {
    return client->LastError("connect");
  }
  // Text values the bronze types read exactly: UTC timestamps, no backslash-escape surprises.
  STRATA_RETURN_IF_ERROR(client->Execute(
      "SET time_zone = '+00:00', sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')"));
  return client;
}

Client::~Client() { mysql_close(mysql_); }

Status Client::LastError(std::string_view what) const {
  unsigned int code = mysql_errno(mysql_);
  std::string message = "mysql " + spec_.host + ":" + std::to_string(spec_.port) + ": " +
                        std::string(what) + ": " + mysql_error(mysql_);
  switch (code) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
      return Status::FailedPrecondition(message);
    case ER_NO_SUCH_TABLE:
    case ER_BAD_DB_ERROR:
      return Status::NotFound(message);
    case ER_PARSE_ERROR:
      return Status::InvalidArgument(message);
    default:
      return Status::IOError(message);
  }
}

Status Client::Execute(std::string_view sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return LastError("query");
  // Drain every result set (multi-statement strings are not used; one result at most).
  MYSQL_RES* res = mysql_store_result(mysql_);
  if (res != nullptr) mysql_free_result(res);
  if (mysql_errno(mysql_) != 0) return LastError("query");
  return Status::OK();
}

Result<std::vector<TextRow>> Client::Query(std::string_view sql) {
  std::vector<TextRow> rows;
  STRATA_RETURN_IF_ERROR(
      Stream(sql, [&](const char* const* values, const unsigned long* lengths, unsigned count) {
        TextRow row(count);
        for (unsigned i = 0; i < count; ++i) {
          if (values[i] != nullptr) row[i] = std::string(values[i], lengths[i]);
        }
        rows.push_back(std::move(row));
        return Status::OK();
      }));
  return rows;
}

Status Client::Stream(
    std::string_view sql,
    const std::function<Status(const char* const*, const unsigned long*, unsigned)>& row) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return LastError("query");
  MYSQL_RES* res = mysql_use_result(mysql_);
  if (res == nullptr) {
    if (mysql_errno(mysql_) != 0) return LastError("query");
    return Status::OK();
  }
  std::unique_ptr<MYSQL_RES, void (*)(MYSQL_RES*)> guard(res, mysql_free_result);
  unsigned count = mysql_num_fields(res);
  Status status;
  while (MYSQL_ROW r = mysql_fetch_row(res)) {
    if (!status.ok()) continue;  // drain the rest so the connection stays usable
    status = row(r, mysql_fetch_lengths(res), count);
  }
  if (mysql_errno(mysql_) != 0) return LastError("reading rows");
  return status;
}

std::string QuoteName(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

std::string QuoteString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    if (c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace strata::ingest::mysql
