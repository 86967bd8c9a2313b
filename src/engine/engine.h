// engine: strata's embedded SQL engine, DuckDB behind RAII wrappers. This layer is the only code
// that includes duckdb.h; everything above it speaks Status/Result and the types below.
//
// Ownership: a Database outlives its Connections; a Connection outlives its PreparedStatements,
// QueryResults and Appenders (each holds a raw handle into its parent). All objects are
// move-only and free their DuckDB handle in the destructor.
// Thread safety: a Database may be shared by threads; a Connection and everything made from it
// is used by one thread at a time (Interrupt() excepted: it may be called from any thread).
// Errors: DuckDB failures become Status with DuckDB's own message (InvalidArgument for parser,
// binder, catalog and conversion errors; Conflict for transaction conflicts; Cancelled after an
// interrupt; ResourceExhausted for out-of-memory; IOError for I/O; Internal otherwise).
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
  std::string path;               // database file; empty = in-memory
  int threads = 0;                // worker threads; 0 = DuckDB's default (all cores)
  std::string memory_limit;       // e.g. "4GB"; empty = DuckDB's default (80% of RAM)
  std::string temp_directory;     // spill directory; empty = DuckDB's default
};

// The kinds of column type strata distinguishes; `type_name` strings carry the full SQL type.
enum class TypeKind {
  kBoolean, kTinyInt, kSmallInt, kInteger, kBigInt, kHugeInt,
  kUTinyInt, kUSmallInt, kUInteger, kUBigInt, kUHugeInt,
  kFloat, kDouble, kDecimal, kVarchar, kBlob, kDate, kTime, kTimestamp, kTimestampTz,
  kTimestampNs, kTimestampMs, kTimestampS, kInterval, kUuid, kList, kStruct, kMap, kArray,
  kEnum, kUnion, kOther,
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
  // Integers of any width, booleans, dates (days since epoch), timestamps (micros since epoch).
  // InvalidArgument for other types.
  virtual Result<int64_t> GetInt64(int column, int64_t row) const = 0;
  virtual Result<double> GetDouble(int column, int64_t row) const = 0;
  // VARCHAR and BLOB contents as bytes; InvalidArgument for other types.
  virtual Result<std::string> GetString(int column, int64_t row) const = 0;
  // Any type rendered as text; "NULL" is not produced: check IsNull first.
  virtual std::string Text(int column, int64_t row) const = 0;
  // Scalar as Value: monostate for NULL, bool, int64 for integers/date-free ints, double for
  // FLOAT/DOUBLE, and Text() for everything else.
  virtual Value GetValue(int column, int64_t row) const = 0;
};

class QueryResult {
 public:
  virtual ~QueryResult() = default;
  virtual const std::vector<Column>& columns() const = 0;
  // The next chunk, or nullptr at the end. Streams: a big result is never materialised.
  virtual Result<std::unique_ptr<DataChunk>> Next() = 0;
  // Rows inserted/updated/deleted by a DML statement (0 for queries).
  virtual int64_t rows_changed() const = 0;
};

class PreparedStatement {
 public:
  virtual ~PreparedStatement() = default;
  virtual int parameter_count() const = 0;
  // Binds parameter `index` (1-based) to `value`; InvalidArgument on a bad index or type.
  virtual Status Bind(int index, const Value& value) = 0;
  virtual Status ClearBindings() = 0;
  virtual Result<std::unique_ptr<QueryResult>> Execute() = 0;
};

// Fast row-wise insert into an existing table. Rows are appended column by column: call
// Append* once per column in order, then EndRow(). Flush() (or destruction) makes them visible.
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
  // Runs one or more statements and discards results.
  virtual Status Execute(std::string_view sql) = 0;
  // Runs a single statement and streams its result.
  virtual Result<std::unique_ptr<QueryResult>> Query(std::string_view sql) = 0;
  // Runs a statement and collects every row; for small metadata queries only.
  virtual Result<std::vector<std::vector<Value>>> QueryRows(std::string_view sql) = 0;
  virtual Result<std::unique_ptr<PreparedStatement>> Prepare(std::string_view sql) = 0;
  // `schema` may be empty (main).
  virtual Result<std::unique_ptr<Appender>> CreateAppender(std::string_view schema,
                                                           std::string_view table) = 0;
  // Asks the running query to stop; it then fails with Cancelled. Any thread.
  virtual void Interrupt() = 0;
};

class Database {
 public:
  virtual ~Database() = default;
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  virtual Result<std::unique_ptr<Connection>> Connect() = 0;
};

// SQL quoting helpers, so callers never splice raw names or strings into SQL.
std::string QuoteIdentifier(std::string_view name);  // "my ""col"""
std::string QuoteLiteral(std::string_view text);      // 'it''s'

// The DuckDB library version, e.g. "v1.4.4".
std::string EngineVersion();

}  // namespace strata::engine
