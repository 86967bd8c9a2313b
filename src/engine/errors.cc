// DuckDB errors to Status. DuckDB's message is kept verbatim (it names the table, column and
// position), only the code is ours.
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/internal.h"

namespace strata::engine::internal {
namespace {

StatusCode CodeFor(duckdb_error_type type) {
  switch (type) {
    case DUCKDB_ERROR_OUT_OF_RANGE:
    case DUCKDB_ERROR_CONVERSION:
    case DUCKDB_ERROR_UNKNOWN_TYPE:
    case DUCKDB_ERROR_DECIMAL:
    case DUCKDB_ERROR_MISMATCH_TYPE:
    case DUCKDB_ERROR_DIVIDE_BY_ZERO:
    case DUCKDB_ERROR_INVALID_TYPE:
    case DUCKDB_ERROR_EXPRESSION:
    case DUCKDB_ERROR_CATALOG:
    case DUCKDB_ERROR_PARSER:
    case DUCKDB_ERROR_PLANNER:
    case DUCKDB_ERROR_CONSTRAINT:
    case DUCKDB_ERROR_SYNTAX:
    case DUCKDB_ERROR_SETTINGS:
    case DUCKDB_ERROR_BINDER:
    case DUCKDB_ERROR_INVALID_INPUT:
    case DUCKDB_ERROR_PARAMETER_NOT_RESOLVED:
    case DUCKDB_ERROR_PARAMETER_NOT_ALLOWED:
    case DUCKDB_ERROR_DEPENDENCY:
    case DUCKDB_ERROR_SEQUENCE:
    case DUCKDB_INVALID_CONFIGURATION:
      return StatusCode::kInvalidArgument;
    case DUCKDB_ERROR_TRANSACTION:
      return StatusCode::kConflict;
    case DUCKDB_ERROR_INTERRUPT:
      return StatusCode::kCancelled;
    case DUCKDB_ERROR_OUT_OF_MEMORY:
    case DUCKDB_ERROR_OBJECT_SIZE:
      return StatusCode::kResourceExhausted;
    case DUCKDB_ERROR_IO:
    case DUCKDB_ERROR_NETWORK:
    case DUCKDB_ERROR_HTTP:
    case DUCKDB_ERROR_PERMISSION:
      return StatusCode::kIOError;
    case DUCKDB_ERROR_NOT_IMPLEMENTED:
    case DUCKDB_ERROR_MISSING_EXTENSION:
    case DUCKDB_ERROR_AUTOLOAD:
      return StatusCode::kUnsupported;
    default:
      return StatusCode::kInternal;
  }
}

// DuckDB formats messages as "<name> Error: <text>", with the names below (Exception::
// ExceptionTypeToString). Used where the C API hands us the message without the type.
struct PrefixType {
  std::string_view prefix;
  duckdb_error_type type;
};
constexpr PrefixType kPrefixes[] = {
    {"Out of Range Error:", DUCKDB_ERROR_OUT_OF_RANGE},
    {"Conversion Error:", DUCKDB_ERROR_CONVERSION},
    {"Unknown Type Error:", DUCKDB_ERROR_UNKNOWN_TYPE},
    {"Decimal Error:", DUCKDB_ERROR_DECIMAL},
    {"Mismatch Type Error:", DUCKDB_ERROR_MISMATCH_TYPE},
    {"Divide by Zero Error:", DUCKDB_ERROR_DIVIDE_BY_ZERO},
    {"Object Size Error:", DUCKDB_ERROR_OBJECT_SIZE},
    {"Invalid type Error:", DUCKDB_ERROR_INVALID_TYPE},
    {"Serialization Error:", DUCKDB_ERROR_SERIALIZATION},
    {"TransactionContext Error:", DUCKDB_ERROR_TRANSACTION},
    {"Not implemented Error:", DUCKDB_ERROR_NOT_IMPLEMENTED},
    {"Expression Error:", DUCKDB_ERROR_EXPRESSION},
    {"Catalog Error:", DUCKDB_ERROR_CATALOG},
    {"Parser Error:", DUCKDB_ERROR_PARSER},
    {"Planner Error:", DUCKDB_ERROR_PLANNER},
    {"Constraint Error:", DUCKDB_ERROR_CONSTRAINT},
    {"Syntax Error:", DUCKDB_ERROR_SYNTAX},
    {"Settings Error:", DUCKDB_ERROR_SETTINGS},
    {"Binder Error:", DUCKDB_ERROR_BINDER},
    {"IO Error:", DUCKDB_ERROR_IO},
    {"INTERRUPT Error:", DUCKDB_ERROR_INTERRUPT},
    {"Invalid Input Error:", DUCKDB_ERROR_INVALID_INPUT},
    {"Out of Memory Error:", DUCKDB_ERROR_OUT_OF_MEMORY},
    {"Permission Error:", DUCKDB_ERROR_PERMISSION},
    {"Parameter Not Resolved Error:", DUCKDB_ERROR_PARAMETER_NOT_RESOLVED},
    {"Parameter Not Allowed Error:", DUCKDB_ERROR_PARAMETER_NOT_ALLOWED},
    {"Dependency Error:", DUCKDB_ERROR_DEPENDENCY},
    {"HTTP Error:", DUCKDB_ERROR_HTTP},
    {"Missing Extension Error:", DUCKDB_ERROR_MISSING_EXTENSION},
    {"Extension Autoloading Error:", DUCKDB_ERROR_AUTOLOAD},
    {"Sequence Error:", DUCKDB_ERROR_SEQUENCE},
    {"Invalid Configuration Error:", DUCKDB_INVALID_CONFIGURATION},
};

}  // namespace

std::string TakeDuckString(char* text) {
  if (text == nullptr) return "";
  std::string copy(text);
  duckdb_free(text);
  return copy;
}

Status StatusFromError(duckdb_error_type type, std::string_view message) {
  std::string text(message.empty() ? "DuckDB reported an error without a message" : message);
  return Status(CodeFor(type), std::move(text));
}

Status StatusFromMessage(std::string_view message, StatusCode fallback) {
  for (const PrefixType& entry : kPrefixes) {
    if (message.substr(0, entry.prefix.size()) == entry.prefix) {
      return StatusFromError(entry.type, message);
    }
  }
  return Status(fallback, message.empty()
                              ? std::string("DuckDB reported an error without a message")
                              : std::string(message));
}

Status StatusFromResult(duckdb_result* result) {
  const char* message = duckdb_result_error(result);
  duckdb_error_type type = duckdb_result_error_type(result);
  std::string_view text = message != nullptr ? message : "";
  // Some failures (e.g. a closed stream) come back as DUCKDB_ERROR_INVALID; the prefix may be
  // more specific then.
  if (type == DUCKDB_ERROR_INVALID) return StatusFromMessage(text);
  return StatusFromError(type, text);
}

}  // namespace strata::engine::internal
