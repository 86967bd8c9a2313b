#include "ingest/contract.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "storage/delta/write_schema.h"

namespace strata::ingest {
namespace {

std::string Fold(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  size_t end = text.find_last_not_of(" \t\r\n");
  std::string out = begin == std::string_view::npos
                        ? std::string()
                        : std::string(text.substr(begin, end - begin + 1));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string NameList(const std::vector<std::string>& names) {
  std::string out = "(";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + ")";
}

bool IsReservedColumn(std::string_view name) {
  std::string folded = Fold(name);
  return folded == kSourceFile || folded == kSourceRow || folded == kIngestedAt ||
         folded == kRawLine || folded == kReason;
}

Status ValidateSpec(const FileSourceSpec& source) {
  const std::string where = "source " + source.name + ": ";
  if (source.format != "csv" && source.format != "jsonl" && source.format != "parquet") {
    return Status::InvalidArgument(where + "format '" + source.format +
                                   "' is not one of csv, jsonl, parquet");
  }
  if (source.file_patterns.empty()) {
    return Status::InvalidArgument(where + "no file patterns (files:) given");
  }
  if (source.format == "csv") {
    const CsvOptions& csv = source.csv;
    if (csv.delimiter.size() != 1) {
      return Status::InvalidArgument(where + "csv delimiter must be one byte, got '" +
                                     csv.delimiter + "'");
    }
    if (csv.quote.size() > 1 || csv.escape.size() > 1) {
      return Status::InvalidArgument(where + "csv quote and escape must be one byte or empty");
    }
    if (csv.delimiter == csv.quote || csv.delimiter == "\n" || csv.delimiter == "\r") {
      return Status::InvalidArgument(where + "csv delimiter '" + csv.delimiter +
                                     "' cannot be used (quote or line break)");
    }
    std::string encoding = Fold(csv.encoding);
    if (encoding != "utf-8" && encoding != "utf8" && encoding != "latin-1" &&
        encoding != "latin1") {
      return Status::InvalidArgument(where + "csv encoding '" + csv.encoding +
                                     "' is not supported (utf-8 or latin-1)");
    }
  }
  std::set<std::string> seen;
  for (const ColumnSpec& column : source.columns) {
    if (Fold(column.name).empty()) {
      return Status::InvalidArgument(where + "a column has an empty name");
    }
    if (IsReservedColumn(column.name)) {
      return Status::InvalidArgument(where + "column '" + column.name +
                                     "' uses a name reserved for lineage columns");
    }
    if (!seen.insert(Fold(column.name)).second) {
      return Status::InvalidArgument(where + "column '" + column.name + "' is declared twice");
    }
    if (column.type.empty()) {
      return Status::InvalidArgument(where + "column '" + column.name + "' has no type");
    }
  }
  return Status::OK();
}

Status CheckColumnTypes(engine::Connection& connection, const FileSourceSpec& source,
                        const std::vector<ColumnSpec>& columns) {
  for (const ColumnSpec& column : columns) {
    // DuckDB parses the type; a type name never reaches SQL unchecked elsewhere.
    if (column.type.find(';') != std::string::npos) {
      return Status::InvalidArgument("source " + source.name + ": column '" + column.name +
                                     "' has an invalid type '" + column.type + "'");
    }
    Result<std::vector<std::vector<engine::Value>>> rows =
        connection.QueryRows("SELECT typeof(CAST(NULL AS " + column.type + "))");
    if (!rows.ok() || rows->size() != 1 || rows->front().size() != 1) {
      return Status::InvalidArgument("source " + source.name + ": column '" + column.name +
                                     "' has an unknown type '" + column.type + "'" +
                                     (rows.ok() ? "" : ": " + rows.status().message()));
    }
    const auto* canonical = std::get_if<std::string>(&rows->front().front());
    Result<delta::DataType> delta_type =
        delta::DeltaTypeFromSql(canonical ? *canonical : column.type);
    if (!delta_type.ok()) {
      return Status::InvalidArgument(
          "source " + source.name + ": column '" + column.name +
          "' has a type a Delta table cannot store: " + delta_type.status().message());
    }
  }
  return Status::OK();
}

std::vector<ColumnSpec> ContractFromSchema(const delta::Schema& schema) {
  std::vector<ColumnSpec> columns;
  for (const delta::StructField& field : schema.fields) {
    if (IsReservedColumn(field.name)) continue;
    ColumnSpec column;
    column.name = field.name;
    column.type = delta::ToSqlType(field.type);
    columns.push_back(std::move(column));
  }
  return columns;
}

std::optional<std::vector<size_t>> MatchHeader(const std::vector<ColumnSpec>& contract,
                                               const std::vector<std::string>& header,
                                               std::string* reason) {
  std::vector<std::string> expected, found;
  for (const ColumnSpec& column : contract) expected.push_back(column.name);
  for (const std::string& name : header) found.push_back(name);
  std::vector<size_t> order;
  std::vector<bool> used(contract.size(), false);
  for (const std::string& name : header) {
    auto it = std::find_if(contract.begin(), contract.end(),
                           [&](const ColumnSpec& c) { return Fold(c.name) == Fold(name); });
    size_t index = static_cast<size_t>(it - contract.begin());
    if (it == contract.end() || used[index]) break;
    used[index] = true;
    order.push_back(index);
  }
  if (order.size() == contract.size() && header.size() == contract.size()) return order;

  std::string detail;
  size_t common = std::min(expected.size(), found.size());
  for (size_t i = 0; i < common && detail.empty(); ++i) {
    if (Fold(expected[i]) != Fold(found[i])) {
      detail = "column " + std::to_string(i + 1) + " is '" + found[i] + "', expected '" +
               expected[i] + "'";
    }
  }
  if (detail.empty() && found.size() < expected.size()) {
    detail = "column '" + expected[found.size()] + "' is missing";
  } else if (detail.empty()) {
    detail = "unexpected column '" + found[expected.size()] + "'";
  }
  *reason = "header does not match the contract: expected " + NameList(expected) + ", found " +
            NameList(found) + ": " + detail;
  return std::nullopt;
}

}  // namespace strata::ingest
