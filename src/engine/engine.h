// engine: strata's embedded SQL engine, DuckDB behind RAII wrappers. This layer is the only code
// that includes duckdb.h; everything above it speaks Status/Result and the types below.
//
// Ownership: a Database outlives its Connections; a Connection outlives its PreparedStatements,
// QueryResults and Appenders (each holds a raw handle into its parent). All objects are
// move-only and free their DuckDB handle in the destructor.
// Thread safety: a Database may be shared by threads; a Connection and everything made from it
// is used by one thread at a time (Interrupt() excepted: it may be called from any thread).
// Errors: DuckDB failures become Status with DuckDB's own message, e.g. "Catalog Error: Table
// with name x does not exist!" (InvalidArgument for parser, binder, catalog, conversion,
// constraint and invalid-input errors; Conflict for transaction conflicts; Cancelled after an
// interrupt; ResourceExhausted for out-of-memory; IOError for I/O, HTTP and permission errors;
// Unsupported for not-implemented features and missing extensions; Internal otherwise).
// Time zone: every connection starts with TimeZone = 'UTC' so results do not depend on the host;
// Text() renders TIMESTAMPTZ in UTC ("2024-01-31 12:00:00+00") and assumes that setting.
// SQL text must not contain NUL bytes (DuckDB's C API takes C strings).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace strata::engine {

struct DatabaseOptions {
  std::string path;            // database file; empty = in-memory
  int threads = 0;             // worker threads; 0 = DuckDB's default (all cores)
  std::string memory_limit;    // e.g. "4GB"; empty = DuckDB's default (80% of RAM)
  std::string temp_directory;  // spill directory; empty = DuckDB's default
};

// The kinds of column type strata distinguishes; `type_name` strings carry the full SQL type.
// TIME WITH TIME ZONE, TIME_NS, BIT and BIGNUM are kOther (their type_name says which).
enum class TypeKind {
  kBoolean,
  kTinyInt,
  kSmallInt,
  kInteger,
  kBigInt,
  kHugeInt,
  kUTinyInt,
  kUSmallInt,
  kUInteger,
  kUBigInt,
  kUHugeInt,
  kFloat,
  kDouble,
  kDecimal,
  kVarchar,
  kBlob,
  kDate,
  kTime,
  kTimestamp,
  kTimestampTz,
  kTimestampNs,
  kTimestampMs,
  kTimestampS,
  kInterval,
  kUuid,
  kList,
  kStruct,
  kMap,
  kArray,
  kEnum,
  kUnion,
  kOther,
};

struct Column {
  std::string name;
  TypeKind kind = TypeKind::kOther;
  std::string type_name;  // SQL spelling, e.g. "DECIMAL(12,2)", "STRUCT(a INTEGER)", "VARCHAR"
};

// A single scalar for parameters and small results. Dates, timestamps, decimals and nested
// values are carried as their SQL text (std::string) in results; parameters bind by C++ type.
using Value = std::variant<std::monostate, bool, int64_t, double, std::string>;

// One chunk (up to 2048 rows) of a streaming result. Accessors are typed; Text() renders any
// cell as DuckDB's VARCHAR cast would ("2024-01-31", "12.50", "[1, 2]", "{'a': 1}").
class DataChunk {
 public:
  virtual ~DataChunk() = default;
  virtual int64_t size() const = 0;
  virtual int column_count() const = 0;
  virtual bool IsNull(int column, int64_t row) const = 0;
  // Integers of any width (InvalidArgument if the value does not fit), booleans, dates (days
  // since epoch), TIME (micros since midnight), timestamps of every unit and TIMESTAMPTZ (micros
  // since epoch). InvalidArgument for other types, NULL cells and out-of-range positions.
  virtual Result<int64_t> GetInt64(int column, int64_t row) const = 0;
  // FLOAT, DOUBLE, DECIMAL and integers. InvalidArgument otherwise.
  virtual Result<double> GetDouble(int column, int64_t row) const = 0;
  // VARCHAR and BLOB contents as bytes; InvalidArgument for other types.
  virtual Result<std::string> GetString(int column, int64_t row) const = 0;
  // Any type rendered as text, identical to DuckDB's CAST(x AS VARCHAR) (verified against DuckDB
  // in value_text_test.cc). A NULL cell gives "": check IsNull first.
  virtual std::string Text(int column, int64_t row) const = 0;
  // Scalar as Value: monostate for NULL, bool, int64 for integers (UBIGINT/HUGEINT/UHUGEINT too,
  // e.g. SUM(), when the value fits; else their text), double for FLOAT/DOUBLE, and Text() for
  // everything else (DECIMAL stays exact text, "12.50").
  virtual Value GetValue(int column, int64_t row) const = 0;
};

class QueryResult {
 public:
  virtual ~QueryResult() = default;
  virtual const std::vector<Column>& columns() const = 0;
  // The next non-empty chunk, or nullptr at the end (and after). Streams: a big result is never
  // materialised. Errors raised while the query runs come back here. Running another statement
  // on the same connection closes an unfinished result: Next() then gives FailedPrecondition.
  virtual Result<std::unique_ptr<DataChunk>> Next() = 0;
  // Rows inserted/updated/deleted by a DML statement (0 for queries).
  virtual int64_t rows_changed() const = 0;
};

class PreparedStatement {
 public:
  virtual ~PreparedStatement() = default;
  virtual int parameter_count() const = 0;
  // Binds parameter `index` (1-based) to `value`; InvalidArgument on a bad index or type. DuckDB
  // casts the value to the parameter's type when the statement runs (a string binds a DATE).
  virtual Status Bind(int index, const Value& value) = 0;
  virtual Status ClearBindings() = 0;
  // Runs with the current bindings (unbound parameters: InvalidArgument); may run many times.
  virtual Result<std::unique_ptr<QueryResult>> Execute() = 0;
};

// Fast row-wise insert into an existing table. Rows are appended column by column: call
// Append* once per column in order, then EndRow(). Flush() (or destruction) makes them visible.
// Values are cast to the column type by DuckDB: a string fills DATE, DECIMAL, LIST... columns
// ("2024-01-31", "12.50", "[1, 2]"). Destruction flushes but cannot report errors: call Close()
// to see them. After an error the appender should be discarded (the row in progress is lost);
// after Close() every call but Close() gives FailedPrecondition.
class Appender {
 public:
  virtual ~Appender() = default;
  virtual Status AppendNull() = 0;
  virtual Status Append(const Value& value) = 0;
  virtual Status EndRow() = 0;
  virtual Status Flush() = 0;
  virtual Status Close() = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Runs one or more statements, each to completion, and discards results.
  virtual Status Execute(std::string_view sql) = 0;
  // Runs the statement and streams its result. Several statements are allowed: all but the last
  // run to completion first, and the last one's result is returned.
  virtual Result<std::unique_ptr<QueryResult>> Query(std::string_view sql) = 0;
  // Runs a statement and collects every row as GetValue(); for small metadata queries only.
  virtual Result<std::vector<std::vector<Value>>> QueryRows(std::string_view sql) = 0;
  virtual Result<std::unique_ptr<PreparedStatement>> Prepare(std::string_view sql) = 0;
  // `schema` may be empty (main).
  virtual Result<std::unique_ptr<Appender>> CreateAppender(std::string_view schema,
                                                           std::string_view table) = 0;
  // Asks the running query to stop; it then fails with Cancelled. Any thread. A call while no
  // query runs has no effect on the next one.
  virtual void Interrupt() = 0;
};

class Database {
 public:
  virtual ~Database() = default;
  // InvalidArgument for bad options (e.g. memory_limit "lots"); IOError when the file cannot be
  // opened or locked.
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  virtual Result<std::unique_ptr<Connection>> Connect() = 0;
};

// SQL quoting helpers, so callers never splice raw names or strings into SQL.
std::string QuoteIdentifier(std::string_view name);  // "my ""col"""
std::string QuoteLiteral(std::string_view text);     // 'it''s'

// The one integer `sql` returns, e.g. a count(*); Internal if the result is not exactly one
// non-null integer.
Result<int64_t> QueryInt64(Connection& connection, std::string_view sql);

// The DuckDB library version, e.g. "v1.4.4".
std::string EngineVersion();

}  // namespace strata::engine
