// A MySQL/MariaDB client connection (MariaDB Connector/C), RAII, text protocol only.
//
// Contract:
//  - ParseMysqlUrl reads `mysql://user@host:port/database` (port defaults to 3306); the password
//    never comes from the URL (a URL with one is refused, so it cannot leak into project files).
//  - Errors carry the server's message prefixed by where ("mysql 127.0.0.1:3306: ..."); they never
//    contain the password. Access denied is Unauthenticated-like: FailedPrecondition with
//    "access denied for user ..." (the server's own words).
// Thread safety: a Client is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

struct st_mysql;

namespace strata::ingest::mysql {

struct ConnectionSpec {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user;
  std::string password;  // resolved from ${secret:...}/${env:...}; never logged
  std::string database;
  int connect_timeout_seconds = 10;
  int read_timeout_seconds = 0;  // 0 = none (a binlog dump waits for events)

  std::string Describe() const;  // "strata@127.0.0.1:3306/erp", no password
};

Result<ConnectionSpec> ParseMysqlUrl(std::string_view url);

// A row of text values; nullopt is SQL NULL.
using TextRow = std::vector<std::optional<std::string>>;

class Client {
 public:
  static Result<std::unique_ptr<Client>> Connect(const ConnectionSpec& spec);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Status Execute(std::string_view sql);
  Result<std::vector<TextRow>> Query(std::string_view sql);
  // Streams the rows of `sql` (unbuffered) into `row`, which gets the values and their lengths
  // (nullptr = NULL). Returning an error from `row` stops and returns it.
  Status Stream(std::string_view sql,
                const std::function<Status(const char* const* values, const unsigned long* lengths,
                                           unsigned count)>& row);

  st_mysql* handle() { return mysql_; }
  const ConnectionSpec& spec() const { return spec_; }
  // The last error of the connection as a Status (for callers using handle()).
  Status LastError(std::string_view what) const;

 private:
  Client(st_mysql* mysql, ConnectionSpec spec) : mysql_(mysql), spec_(std::move(spec)) {}
  st_mysql* mysql_;
  ConnectionSpec spec_;
};

// Quotes a MySQL identifier: `name` with backticks doubled.
std::string QuoteName(std::string_view name);
// A MySQL string literal with quotes and backslashes escaped (NO_BACKSLASH_ESCAPES-safe: uses
// only doubled quotes and escapes backslashes, which both modes read back the same way only
// when the mode is off; the client sets sql_mode without NO_BACKSLASH_ESCAPES).
std::string QuoteString(std::string_view text);

}  // namespace strata::ingest::mysql
