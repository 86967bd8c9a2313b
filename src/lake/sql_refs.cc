#include "lake/sql_refs.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace strata::lake {
namespace {

using nlohmann::json;

// --- A minimal SQL lexer, used only inside the span the parser pointed at -------------------
// It never searches the query: it starts at a query_location DuckDB reported and reads the
// tokens that must be there (name parts, then AT ( ... )), so comments and odd spacing between
// them are handled and nothing outside the reference is ever touched.

bool IsIdentChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == '$' || u >= 0x80;
}

size_t SkipSpace(std::string_view sql, size_t pos) {
  while (pos < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[pos]))) {
      ++pos;
    } else if (sql.substr(pos, 2) == "--") {
      size_t eol = sql.find('\n', pos);
      pos = eol == std::string_view::npos ? sql.size() : eol + 1;
    } else if (sql.substr(pos, 2) == "/*") {
      size_t close = sql.find("*/", pos + 2);
      pos = close == std::string_view::npos ? sql.size() : close + 2;
    } else {
      break;
    }
  }
  return pos;
}

// Reads a quoted token starting at `pos` (the quote character); doubled quotes are escapes.
// Returns the position after the closing quote, the unquoted text in `text`.
std::optional<size_t> ReadQuoted(std::string_view sql, size_t pos, std::string* text) {
  const char quote = sql[pos];
  text->clear();
  for (size_t i = pos + 1; i < sql.size(); ++i) {
    if (sql[i] != quote) {
      text->push_back(sql[i]);
    } else if (i + 1 < sql.size() && sql[i + 1] == quote) {
      text->push_back(quote);
      ++i;
    } else {
      return i + 1;
    }
  }
  return std::nullopt;
}

// One name part: "quoted", 'string' (DuckDB accepts FROM 'path') or a bare identifier.
std::optional<size_t> ReadNamePart(std::string_view sql, size_t pos, std::string* text,
                                   bool* quoted) {
  if (pos >= sql.size()) return std::nullopt;
  *quoted = sql[pos] == '"' || sql[pos] == '\'';
  if (*quoted) return ReadQuoted(sql, pos, text);
  size_t end = pos;
  while (end < sql.size() && IsIdentChar(sql[end])) ++end;
  if (end == pos) return std::nullopt;
  *text = std::string(sql.substr(pos, end - pos));
  return end;
}

bool SameName(std::string_view written, bool quoted, std::string_view parsed) {
  if (quoted) return written == parsed;
  return written.size() == parsed.size() &&
         std::equal(written.begin(), written.end(), parsed.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

// From just after '(' to the matching ')': returns the position of that ')'. Parentheses
// inside strings, quoted names and comments do not count.
std::optional<size_t> MatchParen(std::string_view sql, size_t pos) {
  int depth = 1;
  std::string ignored;
  while (pos < sql.size()) {
    size_t next = SkipSpace(sql, pos);
    if (next != pos) {
      pos = next;
      continue;
    }
    char c = sql[pos];
    if (c == '\'' || c == '"') {
      std::optional<size_t> after = ReadQuoted(sql, pos, &ignored);
      if (!after) return std::nullopt;
      pos = *after;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) return pos;
    ++pos;
  }
  return std::nullopt;
}

std::string Trim(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return std::string(text.substr(b, e - b));
}

// Locates the reference's text from `pos`; fills the spans and the AT expression.
void LocateSpan(std::string_view sql, size_t pos, SqlTableRef& ref) {
  std::vector<const std::string*> expected;
  if (!ref.catalog.empty()) expected.push_back(&ref.catalog);
  if (!ref.schema.empty()) expected.push_back(&ref.schema);
  expected.push_back(&ref.table);
  size_t cursor = pos;
  std::string text;
  bool quoted = false;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (i > 0) {
      cursor = SkipSpace(sql, cursor);
      if (cursor >= sql.size() || sql[cursor] != '.') return;
      cursor = SkipSpace(sql, cursor + 1);
    }
    std::optional<size_t> after = ReadNamePart(sql, cursor, &text, &quoted);
    if (!after || !SameName(text, quoted, *expected[i])) return;
    cursor = *after;
  }
  const size_t name_end = cursor;
  size_t at_begin = cursor;
  if (ref.at) {
    // [AS] alias [(columns)] come first; then the unquoted keyword AT and its parentheses.
    bool found = false;
    for (int token = 0; token < 4 && !found; ++token) {
      cursor = SkipSpace(sql, cursor);
      if (cursor < sql.size() && sql[cursor] == '(') {
        std::optional<size_t> close = MatchParen(sql, cursor + 1);
        if (!close) return;
        cursor = *close + 1;
        continue;
      }
      std::optional<size_t> after = ReadNamePart(sql, cursor, &text, &quoted);
      if (!after) return;
      size_t next = SkipSpace(sql, *after);
      found = !quoted && SameName(text, false, "at") && next < sql.size() && sql[next] == '(';
      if (found) at_begin = cursor;
      cursor = found ? next : *after;
    }
    if (!found) return;
    const size_t open = cursor;
    std::optional<size_t> close = MatchParen(sql, open + 1);
    if (!close) return;
    // Inside: UNIT => expr
    size_t inner = SkipSpace(sql, open + 1);
    std::optional<size_t> after = ReadNamePart(sql, inner, &text, &quoted);
    if (!after || !SameName(text, false, ref.at->unit_name)) return;
    inner = SkipSpace(sql, *after);
    if (sql.substr(inner, 2) != "=>") return;
    ref.at->expression = Trim(sql.substr(inner + 2, *close - inner - 2));
    cursor = *close + 1;
  }
  ref.begin = pos;
  ref.name_end = name_end;
  ref.at_begin = at_begin;
  ref.end = cursor;
}

std::string StringField(const json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void Walk(const json& node, std::string_view sql, SqlRefs& out) {
  if (node.is_array()) {
    for (const json& child : node) Walk(child, sql, out);
    return;
  }
  if (!node.is_object()) return;
  auto type = node.find("type");
  if (type != node.end() && type->is_string() && *type == "TABLE_FUNCTION") {
    auto function = node.find("function");
    if (function != node.end() && function->is_object()) {
      std::string name = StringField(*function, "function_name");
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.table_functions.push_back(std::move(name));
    }
  }
  if (type != node.end() && type->is_string() && *type == "BASE_TABLE" &&
      node.contains("table_name")) {
    SqlTableRef ref;
    ref.catalog = StringField(node, "catalog_name");
    ref.schema = StringField(node, "schema_name");
    ref.table = StringField(node, "table_name");
    ref.alias = StringField(node, "alias");
    auto at = node.find("at_clause");
    if (at != node.end() && at->is_object()) {
      AtClause clause;
      clause.unit_name = StringField(*at, "unit");
      std::string upper = clause.unit_name;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      clause.unit = upper == "TIMESTAMP" ? AtClause::Unit::kTimestamp : AtClause::Unit::kVersion;
      ref.at = std::move(clause);
    }
    auto location = node.find("query_location");
    if (location != node.end() && location->is_number_unsigned()) {
      uint64_t pos = location->get<uint64_t>();
      if (pos < sql.size()) LocateSpan(sql, static_cast<size_t>(pos), ref);
    }
    out.refs.push_back(std::move(ref));
    return;  // a table reference holds no further references
  }
  for (const auto& [key, child] : node.items()) Walk(child, sql, out);
}

}  // namespace

Result<SqlRefs> FindTableRefs(engine::Connection& connection, std::string_view sql) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::PreparedStatement> statement,
                          connection.Prepare("SELECT json_serialize_sql(CAST($1 AS VARCHAR))"));
  STRATA_RETURN_IF_ERROR(statement->Bind(1, std::string(sql)));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::QueryResult> result, statement->Execute());
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::DataChunk> chunk, result->Next());
  if (!chunk || chunk->size() < 1 || chunk->IsNull(0, 0)) {
    return Status::Internal("json_serialize_sql returned no row");
  }
  STRATA_ASSIGN_OR_RETURN(std::string text, chunk->GetString(0, 0));
  json tree = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!tree.is_object()) return Status::Internal("json_serialize_sql returned malformed JSON");

  SqlRefs refs;
  if (tree.value("error", false)) {
    refs.reason = StringField(tree, "error_message");
    if (refs.reason.empty()) refs.reason = "DuckDB could not serialize the statement";
    return refs;
  }
  refs.parsed = true;
  Walk(tree["statements"], sql, refs);
  std::stable_sort(refs.refs.begin(), refs.refs.end(),
                   [](const SqlTableRef& a, const SqlTableRef& b) {
                     return a.begin.value_or(std::numeric_limits<size_t>::max()) <
                            b.begin.value_or(std::numeric_limits<size_t>::max());
                   });
  return refs;
}

Result<std::string> ApplyEdits(std::string_view sql, std::vector<SqlEdit> edits) {
  std::sort(edits.begin(), edits.end(),
            [](const SqlEdit& a, const SqlEdit& b) { return a.begin < b.begin; });
  std::string out;
  size_t cursor = 0;
  for (const SqlEdit& edit : edits) {
    if (edit.begin < cursor || edit.end < edit.begin || edit.end > sql.size()) {
      return Status::InvalidArgument("overlapping or out-of-range SQL edit at offset " +
                                     std::to_string(edit.begin));
    }
    out.append(sql.substr(cursor, edit.begin - cursor));
    out.append(edit.replacement);
    cursor = edit.end;
  }
  out.append(sql.substr(cursor));
  return out;
}

}  // namespace strata::lake
