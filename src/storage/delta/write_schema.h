// Schema rules of the Delta write path: mapping the columns of a DuckDB query to Delta types,
// enforcing the table schema on a write (and evolving it on request), and refusing tables whose
// protocol asks writers for features strata does not implement.
//
// Contract:
//  - Source columns are matched to table columns by name (exact, then case-insensitive, as
//    Spark resolves names). A source column missing from the table, or a type that cannot be
//    stored without loss, is InvalidArgument naming the table, the column and both types, unless
//    evolution is requested and the change is one Delta allows: a new nullable column, or a
//    widening (byte->short->integer->long, float->double, decimal precision/scale up without
//    losing integer digits, integers->double/decimal that holds them).
//  - A source type that converts losslessly into the table type (INTEGER into a long column) is
//    accepted without evolution and cast on write. Table columns the source lacks are written as
//    NULL if nullable, else the write is refused. NOT NULL columns are checked row by row.
//  - Type widening records "delta.typeChanges" in the field metadata and upgrades the protocol to
//    the typeWidening table feature (reader 3 / writer 7), as the protocol requires.
// Thread-safe: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "storage/delta/actions.h"
#include "storage/delta/schema.h"

namespace strata::delta {

// Parses a DuckDB type name ("INTEGER", "DECIMAL(10,2)", "STRUCT(a INTEGER, \"b c\" VARCHAR[])",
// "MAP(VARCHAR, BIGINT)") into the Delta type that stores it. Unsigned types widen to the next
// signed type; UBIGINT, HUGEINT, INTERVAL, UNION... are Unsupported naming the type.
Result<DataType> DeltaTypeFromSql(std::string_view duck_type);

// A Delta schema for query result columns (all nullable). `what` names the source in errors.
Result<Schema> SchemaFromColumns(const std::vector<engine::Column>& columns, std::string_view what);

// True if values of `from` convert into `to` without loss (equal types included).
bool IsLosslessConversion(const DataType& from, const DataType& to);

struct WritePlan {
  Schema schema;                // the table schema after this write (evolved if asked)
  bool schema_changed = false;  // a metaData action is needed
  bool types_widened = false;   // the protocol needs the typeWidening feature
  // SELECT list over the source (aliased __strata_src) producing `schema`'s columns in order,
  // cast to their types, NULL for absent columns, with NOT NULL checks.
  std::string projection;
  std::vector<std::string> added_columns;
};

// Matches `source` (the write's columns) against `table`; see the contract above.
Result<WritePlan> PlanWrite(const Schema& table, const std::vector<std::string>& partition_columns,
                            const std::vector<engine::Column>& source, bool evolve,
                            std::string_view table_name);

// A projection for `schema` from a source that already has exactly its columns and types.
std::string IdentityProjection(const Schema& schema);

// OK if strata can write a table with this protocol and metadata, else Unsupported naming the
// feature (e.g. check constraints, generated columns, column mapping, change data feed).
Status CheckWriteSupported(const Protocol& protocol, const Metadata& metadata,
                           const Schema& schema);

// The protocol a new table with `schema` needs: 1/2 unless a column is timestamp_ntz (3/7 with
// the timestampNtz feature).
Protocol ProtocolForNewTable(const Schema& schema);

// `protocol` upgraded to carry the typeWidening feature.
Protocol WithTypeWidening(const Protocol& protocol);

}  // namespace strata::delta
