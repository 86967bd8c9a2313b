// Private to src/engine: RAII handles over DuckDB's C API, error conversion, type descriptions
// and the concrete classes behind engine.h. Nothing outside src/engine may include this file
// (duckdb_shared is a PRIVATE dependency of strata_engine, so it could not compile there anyway).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "duckdb.h"
#include "engine/engine.h"

namespace strata::engine::internal {

// Owns one DuckDB handle of pointer type H, released with `Destroy(&h)` (DuckDB's destroy
// functions take a pointer to the handle and null it). Move-only.
template <typename H, void (*Destroy)(H*)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(H h) : h_(h) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  H get() const { return h_; }
  // For DuckDB's out-parameters; releases what was held first.
  H* out() {
    reset();
    return &h_;
  }
  void reset() {
    if (h_ != nullptr) Destroy(&h_);
    h_ = nullptr;
  }

 private:
  H h_ = nullptr;
};

// duckdb_appender_destroy returns a state (it flushes); errors there are reported by Close().
inline void DestroyAppender(duckdb_appender* appender) { (void)duckdb_appender_destroy(appender); }

using DatabaseHandle = Handle<duckdb_database, duckdb_close>;
using ConnectionHandle = Handle<duckdb_connection, duckdb_disconnect>;
using ConfigHandle = Handle<duckdb_config, duckdb_destroy_config>;
using PreparedHandle = Handle<duckdb_prepared_statement, duckdb_destroy_prepare>;
using PendingHandle = Handle<duckdb_pending_result, duckdb_destroy_pending>;
using ExtractedHandle = Handle<duckdb_extracted_statements, duckdb_destroy_extracted>;
using ChunkHandle = Handle<duckdb_data_chunk, duckdb_destroy_data_chunk>;
using LogicalTypeHandle = Handle<duckdb_logical_type, duckdb_destroy_logical_type>;
using AppenderHandle = Handle<duckdb_appender, DestroyAppender>;
using ErrorDataHandle = Handle<duckdb_error_data, duckdb_destroy_error_data>;
using ValueHandle = Handle<duckdb_value, duckdb_destroy_value>;

// A duckdb_result is a struct, not a pointer; this owns one in place. Not movable, because
// DuckDB's result functions take its address; hold it through unique_ptr.
class OwnedResult {
 public:
  OwnedResult() = default;
  ~OwnedResult() { duckdb_destroy_result(&result_); }
  OwnedResult(const OwnedResult&) = delete;
  OwnedResult& operator=(const OwnedResult&) = delete;
  duckdb_result* get() { return &result_; }

 private:
  duckdb_result result_{};
};

// A string DuckDB allocated for us (freed with duckdb_free); "" for null.
std::string TakeDuckString(char* text);

// ---- errors ---------------------------------------------------------------------------------

// Maps DuckDB's error type to our code (the table is in engine.h) and keeps DuckDB's message.
Status StatusFromError(duckdb_error_type type, std::string_view message);
// For the C API calls that only report a message ("Catalog Error: ..."): the type is read back
// from DuckDB's "<Type> Error:" prefix; `fallback` when there is none.
Status StatusFromMessage(std::string_view message, StatusCode fallback = StatusCode::kInternal);
// The error of a failed duckdb_result.
Status StatusFromResult(duckdb_result* result);

// ---- types ----------------------------------------------------------------------------------

// Everything needed to read and print one column without calling back into DuckDB's type API
// per cell: resolved once per result.
struct TypeInfo {
  duckdb_type id = DUCKDB_TYPE_INVALID;
  TypeKind kind = TypeKind::kOther;
  std::string name;                           // SQL spelling, e.g. "DECIMAL(12,2)"
  uint8_t width = 0;                          // DECIMAL
  uint8_t scale = 0;                          // DECIMAL
  duckdb_type storage = DUCKDB_TYPE_INVALID;  // DECIMAL and ENUM physical storage
  uint64_t array_size = 0;                    // ARRAY
  bool unnamed_struct = false;                // row(1, 2): printed as (1, 2)
  std::vector<std::string> enum_values;       // ENUM dictionary
  std::vector<std::string> child_names;       // STRUCT fields, UNION members
  std::vector<TypeInfo> children;             // LIST/ARRAY: element; MAP: key, value;
                                              // STRUCT/UNION: one per field/member
};

TypeInfo DescribeType(duckdb_logical_type type);

// ---- cell access ----------------------------------------------------------------------------

bool CellIsValid(duckdb_vector vector, uint64_t row);
std::string_view CellString(duckdb_vector vector, uint64_t row);  // VARCHAR/BLOB/BIT/BIGNUM
// Renders a non-null cell as DuckDB's CAST(x AS VARCHAR) does (value_text.cc).
void AppendCellText(const TypeInfo& type, duckdb_vector vector, uint64_t row, std::string* out);

// Scalars as DuckDB prints them (scalar_text.cc). Each appends to `out`.
__int128 HugeToInt128(duckdb_hugeint value);
void AppendSigned128(__int128 value, std::string* out);
void AppendUnsigned128(unsigned __int128 value, std::string* out);
void AppendDecimal(__int128 unscaled, int scale, std::string* out);  // "-0.050"
void AppendDate(int32_t days, std::string* out);                     // "0044-03-15 (BC)"
// Time of day / timestamp counted in units of 10^-digits seconds (6: micros, 9: nanos).
void AppendTimeOfDay(int64_t value, int digits, std::string* out);  // "12:34:56.5"
void AppendTimestamp(int64_t value, int digits, std::string* out);  // "2024-01-31 12:34:56"
void AppendOffset(int32_t offset_seconds, std::string* out);        // "+05:30", "-08"
void AppendInterval(duckdb_interval interval, std::string* out);    // "1 year 2 days 01:00:00"
void AppendUuid(duckdb_hugeint value, std::string* out);
void AppendBlob(std::string_view bytes, std::string* out);    // "ab\x00"
void AppendBits(std::string_view bytes, std::string* out);    // BIT: "0101"
void AppendBignum(std::string_view bytes, std::string* out);  // BIGNUM: "-123"
// Shortest round-trip text of a double, laid out as DuckDB prints it ("1.0", "1e+20").
std::string FormatDouble(double value);
// FLOAT as DuckDB prints it (DuckDB formats these itself; see scalar_text.cc).
std::string FormatFloat(float value);

// ---- shared between the result, statement and connection implementations --------------------

// Per-connection state that results and statements point back into. `generation` grows with
// every statement started on the connection: a streaming result whose generation is stale was
// closed by DuckDB when the later statement began.
struct ConnectionState {
  ConnectionHandle connection;
  uint64_t generation = 0;
};

// Runs a prepared statement. With `stream`, a query's rows are produced as the result is read
// (DuckDB streams what it can); without, the statement runs to completion first, so every
// runtime error is reported here.
Result<std::unique_ptr<QueryResult>> ExecutePrepared(ConnectionState* state,
                                                     duckdb_prepared_statement statement,
                                                     bool stream);

// Prepares `sql` (a single statement) on the connection.
Result<PreparedHandle> PrepareOne(ConnectionState* state, std::string_view sql);

std::unique_ptr<PreparedStatement> MakePreparedStatement(ConnectionState* state,
                                                         PreparedHandle statement);
Result<std::unique_ptr<Appender>> MakeAppender(ConnectionState* state, std::string_view schema,
                                               std::string_view table);

}  // namespace strata::engine::internal
