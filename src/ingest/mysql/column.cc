// GCC 12 reports a false -Wmaybe-uninitialized when a std::variant engine::Value is moved into
// a Result (GCC bugs 105562, 107919).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "ingest/mysql/column.h"

#include <charconv>
#include <cstdlib>

namespace strata::ingest::mysql {
namespace {

Status Unsupported(std::string_view table, std::string_view column, std::string_view type) {
  return Status::Unsupported("table " + std::string(table) + ", column " + std::string(column) +
                             ": type " + std::string(type) +
                             " is not supported by the MySQL source");
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string BronzeType(const Column& c) {
  switch (c.kind) {
    case ColumnKind::kTinyInt:
      return c.is_unsigned ? "SMALLINT" : "TINYINT";
    case ColumnKind::kSmallInt:
      return c.is_unsigned ? "INTEGER" : "SMALLINT";
    case ColumnKind::kMediumInt:
      return "INTEGER";
    case ColumnKind::kInt:
      return c.is_unsigned ? "BIGINT" : "INTEGER";
    case ColumnKind::kBigInt:
      return c.is_unsigned ? "DECIMAL(20,0)" : "BIGINT";
    case ColumnKind::kDecimal:
      if (c.precision > 38) return "VARCHAR";
      return "DECIMAL(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")";
    case ColumnKind::kFloat:
      return "FLOAT";
    case ColumnKind::kDouble:
      return "DOUBLE";
    case ColumnKind::kDate:
      return "DATE";
    case ColumnKind::kDateTime:
      return "TIMESTAMP";
    case ColumnKind::kTimestamp:
      return "TIMESTAMPTZ";
    case ColumnKind::kYear:
      return "SMALLINT";
    case ColumnKind::kBinary:
      return "BLOB";
    case ColumnKind::kBit:
      return c.bits >= 64 ? "DECIMAL(20,0)" : "BIGINT";
    case ColumnKind::kTime:
    case ColumnKind::kText:
    case ColumnKind::kEnum:
    case ColumnKind::kSet:
      return "VARCHAR";
  }
  return "VARCHAR";
}

Result<Column> ColumnFromSchema(std::string_view table, std::string name,
                                std::string_view data_type, std::string_view column_type,
                                int64_t numeric_precision, int64_t numeric_scale,
                                int64_t datetime_precision, std::string_view charset,
                                int64_t octet_length) {
  Column c;
  c.name = std::move(name);
  c.is_unsigned = Contains(column_type, "unsigned");
  struct Simple {
    std::string_view type;
    ColumnKind kind;
  };
  static constexpr Simple kSimple[] = {
      {"tinyint", ColumnKind::kTinyInt},
      {"smallint", ColumnKind::kSmallInt},
      {"mediumint", ColumnKind::kMediumInt},
      {"int", ColumnKind::kInt},
      {"bigint", ColumnKind::kBigInt},
      {"float", ColumnKind::kFloat},
      {"double", ColumnKind::kDouble},
      {"date", ColumnKind::kDate},
      {"datetime", ColumnKind::kDateTime},
      {"timestamp", ColumnKind::kTimestamp},
      {"time", ColumnKind::kTime},
      {"year", ColumnKind::kYear},
      {"enum", ColumnKind::kEnum},
      {"set", ColumnKind::kSet},
      {"bit", ColumnKind::kBit},
      {"decimal", ColumnKind::kDecimal},
  };
  static constexpr std::string_view kText[] = {"char",       "varchar",  "tinytext", "text",
                                               "mediumtext", "longtext", "json"};
  static constexpr std::string_view kBinary[] = {"binary",     "varbinary", "tinyblob",
                                                 "mediumblob", "blob",      "longblob"};
  bool known = false;
  for (const Simple& s : kSimple) {
    if (data_type == s.type) c.kind = s.kind, known = true;
  }
  for (std::string_view t : kText) {
    if (data_type == t) c.kind = ColumnKind::kText, known = true;
  }
  for (std::string_view t : kBinary) {
    if (data_type == t) c.kind = ColumnKind::kBinary, known = true;
  }
  if (!known) return Unsupported(table, c.name, column_type);
  if (c.kind == ColumnKind::kText && charset != "utf8mb4" && charset != "utf8mb3" &&
      charset != "utf8" && charset != "ascii") {
    return Unsupported(table, c.name,
                       std::string(column_type) + " CHARACTER SET " + std::string(charset) +
                           " (use utf8mb4, utf8mb3 or ascii)");
  }
  switch (c.kind) {
    case ColumnKind::kDecimal:
      c.precision = static_cast<int>(numeric_precision);
      c.scale = static_cast<int>(numeric_scale);
      break;
    case ColumnKind::kDateTime:
    case ColumnKind::kTimestamp:
    case ColumnKind::kTime:
      c.fsp = static_cast<int>(datetime_precision);
      break;
    case ColumnKind::kBit:
      c.bits = static_cast<int>(numeric_precision);
      break;
    case ColumnKind::kBinary:
      if (data_type == "binary") c.binary_length = static_cast<int>(octet_length);
      break;
    default:
      break;
  }
  return c;
}

std::string SelectExpression(const Column& c) {
  std::string quoted = "`";
  for (char ch : c.name) quoted += ch == '`' ? std::string("``") : std::string(1, ch);
  quoted += "`";
  if (c.kind == ColumnKind::kBit) return "CAST(" + quoted + " AS UNSIGNED)";
  return quoted;
}

bool IsZeroDate(std::string_view text) {
  // YYYY-MM-DD...
  if (text.size() < 10) return false;
  return text.substr(0, 4) == "0000" || text.substr(5, 2) == "00" || text.substr(8, 2) == "00";
}

Result<engine::Value> FromText(const Column& c, std::string_view text) {
  auto bad = [&]() {
    return Status::InvalidArgument("column " + c.name + ": cannot read value '" +
                                   std::string(text) + "' as " + BronzeType(c));
  };
  switch (c.kind) {
    case ColumnKind::kTinyInt:
    case ColumnKind::kSmallInt:
    case ColumnKind::kMediumInt:
    case ColumnKind::kInt:
    case ColumnKind::kYear:
    case ColumnKind::kBigInt:
    case ColumnKind::kBit: {
      int64_t v = 0;
      if (ParseNumber(text, &v)) return engine::Value(v);
      uint64_t u = 0;
      if (ParseNumber(text, &u)) return engine::Value(std::string(text));  // past INT64_MAX
      return bad();
    }
    case ColumnKind::kFloat:
    case ColumnKind::kDouble: {
      std::string copy(text);
      char* end = nullptr;
      double v = std::strtod(copy.c_str(), &end);
      if (end != copy.c_str() + copy.size()) return bad();
      return engine::Value(v);
    }
    case ColumnKind::kDate:
    case ColumnKind::kDateTime:
      if (IsZeroDate(text)) return engine::Value();
      return engine::Value(std::string(text));
    case ColumnKind::kTimestamp:
      if (IsZeroDate(text)) return engine::Value();
      return engine::Value(std::string(text) + "+00");
    case ColumnKind::kBinary:
      if (c.binary_length > 0 && text.size() < static_cast<size_t>(c.binary_length)) {
        std::string padded(text);
        padded.resize(static_cast<size_t>(c.binary_length), '\0');
        return engine::Value(std::move(padded));
      }
      return engine::Value(std::string(text));
    default:
      return engine::Value(std::string(text));
  }
}

}  // namespace strata::ingest::mysql
