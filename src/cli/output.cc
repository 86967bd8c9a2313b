#include "cli/output.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace strata::cli {
namespace {

using engine::Column;
using engine::DataChunk;
using engine::TypeKind;

bool IsNumeric(TypeKind kind) {
  switch (kind) {
    case TypeKind::kTinyInt:
    case TypeKind::kSmallInt:
    case TypeKind::kInteger:
    case TypeKind::kBigInt:
    case TypeKind::kHugeInt:
    case TypeKind::kUTinyInt:
    case TypeKind::kUSmallInt:
    case TypeKind::kUInteger:
    case TypeKind::kUBigInt:
    case TypeKind::kUHugeInt:
    case TypeKind::kFloat:
    case TypeKind::kDouble:
    case TypeKind::kDecimal:
      return true;
    default:
      return false;
  }
}

// Display width of UTF-8 text: code points, not bytes (good enough for the scripts our users
// have in their data; East Asian wide characters count as one).
size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;
  }
  return width;
}

// Cuts `text` to at most `width` code points, ending in "…" when cut.
std::string Truncate(const std::string& text, size_t width) {
  if (DisplayWidth(text) <= width) return text;
  std::string out;
  size_t points = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {
      if (points == width - 1) break;
      ++points;
    }
    out.push_back(text[i]);
  }
  return out + "…";
}

// Newlines and tabs would break the grid; show them escaped.
std::string CellText(const DataChunk& chunk, int column, int64_t row) {
  if (chunk.IsNull(column, row)) return "NULL";
  std::string text = chunk.Text(column, row);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\r')
      out += "\\r";
    else
      out.push_back(c);
  }
  return out;
}

std::string JsonCell(const DataChunk& chunk, const Column& column, int index, int64_t row) {
  if (chunk.IsNull(index, row)) return "null";
  switch (column.kind) {
    case TypeKind::kBoolean:
      return chunk.Text(index, row) == "true" ? "true" : "false";
    case TypeKind::kFloat:
    case TypeKind::kDouble: {
      Result<double> value = chunk.GetDouble(index, row);
      if (!value.ok() || !std::isfinite(*value)) return JsonString(chunk.Text(index, row));
      return chunk.Text(index, row);
    }
    default:
      // Integers of every width and decimals keep their exact digits as JSON numbers.
      if (IsNumeric(column.kind)) return chunk.Text(index, row);
      return JsonString(chunk.Text(index, row));
  }
}

Result<int64_t> WriteCsv(engine::QueryResult& result, std::ostream& out) {
  const std::vector<Column>& columns = result.columns();
  for (size_t c = 0; c < columns.size(); ++c) {
    out << (c ? "," : "") << CsvField(columns[c].name);
  }
  out << "\n";
  int64_t rows = 0;
  while (true) {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<DataChunk> chunk, result.Next());
    if (!chunk) break;
    for (int64_t r = 0; r < chunk->size(); ++r) {
      for (int c = 0; c < chunk->column_count(); ++c) {
        if (c) out << ',';
        if (!chunk->IsNull(c, r)) out << CsvField(chunk->Text(c, r));
      }
      out << '\n';
    }
    rows += chunk->size();
  }
  return rows;
}

Result<int64_t> WriteJson(engine::QueryResult& result, std::ostream& out) {
  const std::vector<Column>& columns = result.columns();
  std::vector<std::string> keys;
  for (const Column& column : columns) keys.push_back(JsonString(column.name) + ":");
  out << "[";
  int64_t rows = 0;
  while (true) {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<DataChunk> chunk, result.Next());
    if (!chunk) break;
    for (int64_t r = 0; r < chunk->size(); ++r) {
      out << (rows++ ? ",\n" : "\n") << "{";
      for (int c = 0; c < chunk->column_count(); ++c) {
        out << (c ? "," : "") << keys[c] << JsonCell(*chunk, columns[c], c, r);
      }
      out << "}";
    }
  }
  out << (rows ? "\n]\n" : "]\n");
  return rows;
}

Result<int64_t> WriteTable(engine::QueryResult& result, const OutputOptions& options,
                           std::ostream& out) {
  const std::vector<Column>& columns = result.columns();
  const size_t max_width = static_cast<size_t>(std::max(options.max_column_width, 4));
  std::vector<size_t> widths;
  for (const Column& column : columns) {
    widths.push_back(std::max(DisplayWidth(column.name), DisplayWidth(column.type_name)));
  }
  std::vector<std::vector<std::string>> kept;
  int64_t rows = 0;
  while (true) {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<DataChunk> chunk, result.Next());
    if (!chunk) break;
    for (int64_t r = 0; r < chunk->size(); ++r, ++rows) {
      if (rows >= options.max_rows) continue;
      std::vector<std::string> cells;
      for (int c = 0; c < chunk->column_count(); ++c) {
        cells.push_back(Truncate(CellText(*chunk, c, r), max_width));
        widths[c] = std::max(widths[c], DisplayWidth(cells.back()));
      }
      kept.push_back(std::move(cells));
    }
  }
  for (size_t& w : widths) w = std::min(w, max_width);

  auto rule = [&] {
    out << '+';
    for (size_t w : widths) out << std::string(w + 2, '-') << '+';
    out << '\n';
  };
  auto line = [&](const std::vector<std::string>& cells, bool align_numbers) {
    out << '|';
    for (size_t c = 0; c < cells.size(); ++c) {
      std::string text = Truncate(cells[c], widths[c]);
      std::string pad(widths[c] - DisplayWidth(text), ' ');
      bool right = align_numbers && IsNumeric(columns[c].kind);
      out << ' ' << (right ? pad + text : text + pad) << " |";
    }
    out << '\n';
  };
  std::vector<std::string> names, types;
  for (const Column& column : columns) {
    names.push_back(column.name);
    types.push_back(column.type_name);
  }
  rule();
  line(names, false);
  line(types, false);
  rule();
  for (const auto& cells : kept) line(cells, true);
  if (!columns.empty()) rule();
  out << "(" << rows << (rows == 1 ? " row" : " rows");
  if (rows > static_cast<int64_t>(kept.size())) out << ", " << kept.size() << " shown";
  out << ")\n";
  return rows;
}

}  // namespace

Result<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "table") return OutputFormat::kTable;
  if (name == "csv") return OutputFormat::kCsv;
  if (name == "json") return OutputFormat::kJson;
  return Status::InvalidArgument("unknown format '" + std::string(name) +
                                 "' (expected table, csv or json)");
}

Result<int64_t> WriteResult(engine::QueryResult& result, const OutputOptions& options,
                            std::ostream& out) {
  switch (options.format) {
    case OutputFormat::kCsv:
      return WriteCsv(result, out);
    case OutputFormat::kJson:
      return WriteJson(result, out);
    case OutputFormat::kTable:
      return WriteTable(result, options, out);
  }
  return Status::Internal("unhandled output format");
}

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"')
      out += "\"\"";
    else
      out.push_back(c);
  }
  return out + "\"";
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

}  // namespace strata::cli
