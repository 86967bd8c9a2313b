// Table references in SQL, found by DuckDB's own parser (json_serialize_sql), never by pattern
// matching on the text: a name inside a string, a comment or a column alias is never mistaken
// for a table, and every reference is found wherever it sits (CTEs, subqueries in any clause,
// joins, set operations, PIVOT sources, lateral joins).
//
// Contract:
//  - Every BASE_TABLE node of every statement is reported once, in order of position. CTE names
//    are reported too (as unqualified names): a caller that only cares about qualified
//    `layer.name` references can ignore unqualified ones, which CTEs always are.
//  - Spans are byte offsets into the SQL text. [begin, name_end) is exactly the (possibly
//    quoted, possibly qualified) name; [at_begin, end) exactly the AT (...) clause, which DuckDB's
//    grammar puts after the alias (`FROM t AS x AT (VERSION => 1)`), so the alias lies between
//    the two spans and a rewrite leaves it alone. Spans come from the parser's query_location
//    and are checked against the parsed name; when DuckDB gives no location or the text does
//    not match, `begin` is unset and the reference cannot be rewritten (it can still be bound
//    under its own name).
//  - Statements json_serialize_sql cannot serialize (anything but SELECT, or a syntax error)
//    make `parsed` false with DuckDB's reason; this is not an error, so callers may pass such
//    SQL through to DuckDB, which reports syntax errors in its own words.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"

namespace strata::lake {

// FROM t AT (VERSION => expr) / AT (TIMESTAMP => expr).
struct AtClause {
  enum class Unit { kVersion, kTimestamp };
  Unit unit = Unit::kVersion;
  std::string unit_name;   // as DuckDB reports it ("VERSION"); other units are kept for errors
  std::string expression;  // the SQL text of expr ("3", "TIMESTAMP '2024-01-01'"); empty if
                           // the span could not be located
};

struct SqlTableRef {
  std::string catalog;  // as written; empty if unqualified
  std::string schema;
  std::string table;  // for FROM 'some/path' this is the path
  std::string alias;  // empty when none was written
  std::optional<AtClause> at;
  // See the contract. Without an AT clause at_begin == end == name_end.
  std::optional<size_t> begin;
  size_t name_end = 0;
  size_t at_begin = 0;
  size_t end = 0;
};

struct SqlRefs {
  bool parsed = false;
  std::string reason;  // why not parsed
  std::vector<SqlTableRef> refs;
  // Every table function called in FROM (read_csv, range, ...), lower case, in order.
  std::vector<std::string> table_functions;
};

// One round trip to DuckDB (SELECT json_serialize_sql(?)) on `connection`, plus a walk of the
// JSON. Errors only when the engine itself fails or returns JSON we cannot read (Internal).
Result<SqlRefs> FindTableRefs(engine::Connection& connection, std::string_view sql);

// Rewrites `sql` by replacing non-overlapping spans [begin, end) with text. Spans must be in
// bounds; they are applied in order of position. InvalidArgument for overlapping spans.
struct SqlEdit {
  size_t begin = 0;
  size_t end = 0;
  std::string replacement;
};
Result<std::string> ApplyEdits(std::string_view sql, std::vector<SqlEdit> edits);

}  // namespace strata::lake
