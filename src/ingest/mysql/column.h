// Source columns of MySQL/MariaDB tables and their exact bronze types.
//
// A Column is described either by information_schema (snapshots, ColumnFromSchema) or by a
// binlog TABLE_MAP event with binlog_row_metadata=FULL (binlog_events.h); both give the same
// Column for the same definition, so snapshot and change rows land in the same bronze types:
//
//   TINYINT / SMALLINT / MEDIUMINT / INT / BIGINT   TINYINT / SMALLINT / INTEGER / INTEGER / BIGINT
//     UNSIGNED                                      SMALLINT / INTEGER / INTEGER / BIGINT /
//     DECIMAL(20,0)
//   DECIMAL(p,s)                                    DECIMAL(p,s); p > 38: VARCHAR (exact text)
//   FLOAT / DOUBLE                                  FLOAT / DOUBLE
//   DATE / DATETIME(n)                              DATE / TIMESTAMP (wall clock, no zone)
//   TIMESTAMP(n)                                    TIMESTAMPTZ (the source stores UTC)
//   TIME(n)                                         VARCHAR "[-]HH:MM:SS[.f]" (range +-838 h)
//   YEAR                                            SMALLINT
//   CHAR/VARCHAR/TEXT, JSON, ENUM, SET              VARCHAR (utf8mb4; SET as "a,b")
//   BINARY/VARBINARY/BLOB                           BLOB (BINARY(n) padded to n bytes)
//   BIT(n)                                          BIGINT (n < 64), DECIMAL(20,0) (n = 64)
// Zero dates ('0000-00-00', and dates with a zero month or day that MariaDB accepts without
// NO_ZERO_DATE/NO_ZERO_IN_DATE) become NULL. Other types (GEOMETRY, MySQL 8's binary JSON, the
// pre-5.6 temporal formats) are Unsupported naming the table and column.
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"

namespace strata::ingest::mysql {

enum class ColumnKind {
  kTinyInt,
  kSmallInt,
  kMediumInt,
  kInt,
  kBigInt,
  kDecimal,
  kFloat,
  kDouble,
  kDate,
  kDateTime,
  kTimestamp,
  kTime,
  kYear,
  kText,    // CHAR, VARCHAR, TEXT, JSON (MariaDB stores JSON as text)
  kBinary,  // BINARY, VARBINARY, BLOB
  kEnum,
  kSet,
  kBit,
};

struct Column {
  std::string name;
  ColumnKind kind = ColumnKind::kText;
  bool is_unsigned = false;
  int precision = 0;                  // DECIMAL
  int scale = 0;                      // DECIMAL
  int fsp = 0;                        // DATETIME, TIMESTAMP, TIME: fractional second digits
  int bits = 0;                       // BIT(n)
  int binary_length = 0;              // BINARY(n): n (values are zero-padded to it); 0 otherwise
  std::vector<std::string> elements;  // ENUM / SET member names (binlog decoding)
};

// The DuckDB type of the column in bronze (see the table above).
std::string BronzeType(const Column& column);

// The column described by an information_schema.COLUMNS row. `table` names it in errors.
// `data_type`/`column_type` as in information_schema ("int", "int(10) unsigned").
Result<Column> ColumnFromSchema(std::string_view table, std::string name,
                                std::string_view data_type, std::string_view column_type,
                                int64_t numeric_precision, int64_t numeric_scale,
                                int64_t datetime_precision, std::string_view charset,
                                int64_t octet_length);

// The SELECT expression reading `column` as text in the form FromText takes.
std::string SelectExpression(const Column& column);

// A text-protocol value (from SelectExpression) as the engine value appended to bronze.
Result<engine::Value> FromText(const Column& column, std::string_view text);

// True for a date text with a zero year, month or day part that DuckDB cannot hold.
bool IsZeroDate(std::string_view text);

}  // namespace strata::ingest::mysql
