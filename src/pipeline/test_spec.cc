// Parsing of `tests:` lists (models and sources share the format).
#include <cctype>
#include <set>
#include <string>

#include "common/numbers.h"
#include "engine/engine.h"
#include "pipeline/project.h"

namespace strata::pipeline {
namespace {

struct KindInfo {
  TestKind kind;
  const char* name;
};
constexpr KindInfo kKinds[] = {
    {TestKind::kNotNull, "not_null"},
    {TestKind::kUnique, "unique"},
    {TestKind::kAcceptedValues, "accepted_values"},
    {TestKind::kRelationships, "relationships"},
    {TestKind::kRange, "range"},
    {TestKind::kRowCount, "row_count"},
    {TestKind::kFreshness, "freshness"},
    {TestKind::kExpect, "expect"},
    {TestKind::kSql, "sql"},
};

bool LooksNumeric(const std::string& text) {
  if (text.empty()) return false;
  size_t i = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  bool digit = false, dot = false;
  for (; i < text.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(text[i]))) {
      digit = true;
    } else if (text[i] == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digit;
}

// A YAML scalar as a SQL literal: plain numbers and booleans stay as written (so they compare
// as numbers), everything else becomes a string literal that DuckDB casts to the column's type.
Result<std::string> SqlLiteral(const YamlField& field) {
  STRATA_ASSIGN_OR_RETURN(std::string text, field.String());
  if (field.IsPlainScalar() && (LooksNumeric(text) || text == "true" || text == "false")) {
    return text;
  }
  return engine::QuoteLiteral(text);
}

// "36 hours", "2d", "90 minutes" -> seconds.
Result<int64_t> ParseMaxAge(const YamlField& field) {
  STRATA_ASSIGN_OR_RETURN(std::string text, field.String());
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  std::string unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  if (i == 0 || i > 12) {
    return field.Error("expected a duration such as '36 hours', '2 days' or '90m', got '" + text +
                       "'");
  }
  int64_t n = *ParseInteger<int64_t>(std::string_view(text).substr(0, i));
  if (!unit.empty() && unit.back() == 's' && unit.size() > 1) unit.pop_back();
  static const std::pair<const char*, int64_t> kUnits[] = {
      {"s", 1},    {"sec", 1},     {"second", 1}, {"m", 60},      {"min", 60},   {"minute", 60},
      {"h", 3600}, {"hour", 3600}, {"d", 86400},  {"day", 86400}, {"w", 604800}, {"week", 604800}};
  for (const auto& [name, seconds] : kUnits) {
    if (unit == name) return n * seconds;
  }
  return field.Error("unknown duration unit in '" + text +
                     "' (use seconds, minutes, hours, days or weeks)");
}

Result<std::string> RequiredString(const YamlField& map, std::string_view key) {
  std::optional<YamlField> field = map.Get(key);
  if (!field) return map.Error("missing field '" + std::string(key) + "'");
  STRATA_ASSIGN_OR_RETURN(std::string value, field->String());
  if (value.empty()) return field->Error("must not be empty");
  return value;
}

Status ParseKind(const YamlField& value, TestSpec& test) {
  switch (test.kind) {
    case TestKind::kNotNull:
    case TestKind::kUnique: {
      STRATA_ASSIGN_OR_RETURN(test.columns, value.StringList());
      if (test.columns.empty()) return value.Error("expected at least one column");
      return Status::OK();
    }
    case TestKind::kAcceptedValues: {
      STRATA_RETURN_IF_ERROR(value.CheckKeys({"column", "values"}));
      STRATA_ASSIGN_OR_RETURN(std::string column, RequiredString(value, "column"));
      test.columns = {column};
      std::optional<YamlField> values = value.Get("values");
      if (!values) return value.Error("missing field 'values'");
      STRATA_ASSIGN_OR_RETURN(std::vector<YamlField> items, values->Items());
      if (items.empty()) return values->Error("expected at least one value");
      for (const YamlField& item : items) {
        STRATA_ASSIGN_OR_RETURN(std::string literal, SqlLiteral(item));
        test.values.push_back(std::move(literal));
      }
      return Status::OK();
    }
    case TestKind::kRelationships: {
      STRATA_RETURN_IF_ERROR(value.CheckKeys({"column", "to", "field"}));
      STRATA_ASSIGN_OR_RETURN(std::string column, RequiredString(value, "column"));
      test.columns = {column};
      STRATA_ASSIGN_OR_RETURN(std::string to, RequiredString(value, "to"));
      Result<lake::TableName> table = lake::ParseTableName(to);
      if (!table.ok()) return value.Get("to")->Error(table.status().message());
      test.to = *table;
      STRATA_ASSIGN_OR_RETURN(test.to_field, GetString(value, "field", column));
      return Status::OK();
    }
    case TestKind::kRange: {
      STRATA_RETURN_IF_ERROR(value.CheckKeys({"column", "min", "max"}));
      STRATA_ASSIGN_OR_RETURN(std::string column, RequiredString(value, "column"));
      test.columns = {column};
      if (auto min = value.Get("min")) {
        STRATA_ASSIGN_OR_RETURN(test.min, SqlLiteral(*min));
      }
      if (auto max = value.Get("max")) {
        STRATA_ASSIGN_OR_RETURN(test.max, SqlLiteral(*max));
      }
      if (!test.min && !test.max) return value.Error("give min, max or both");
      return Status::OK();
    }
    case TestKind::kRowCount: {
      STRATA_RETURN_IF_ERROR(value.CheckKeys({"min", "max"}));
      if (auto min = value.Get("min")) {
        STRATA_ASSIGN_OR_RETURN(test.min_rows, min->Int());
      }
      if (auto max = value.Get("max")) {
        STRATA_ASSIGN_OR_RETURN(test.max_rows, max->Int());
      }
      if (!test.min_rows && !test.max_rows) return value.Error("give min, max or both");
      return Status::OK();
    }
    case TestKind::kFreshness: {
      STRATA_RETURN_IF_ERROR(value.CheckKeys({"column", "max_age"}));
      STRATA_ASSIGN_OR_RETURN(std::string column, RequiredString(value, "column"));
      test.columns = {column};
      std::optional<YamlField> age = value.Get("max_age");
      if (!age) return value.Error("missing field 'max_age'");
      STRATA_ASSIGN_OR_RETURN(test.max_age_seconds, ParseMaxAge(*age));
      return Status::OK();
    }
    case TestKind::kExpect: {
      STRATA_ASSIGN_OR_RETURN(test.expression, value.String());
      if (test.expression.empty()) return value.Error("expected a SQL boolean expression");
      return Status::OK();
    }
    case TestKind::kSql: {
      STRATA_ASSIGN_OR_RETURN(test.sql, value.String());
      if (test.sql.empty()) return value.Error("expected a query returning the failing rows");
      return Status::OK();
    }
  }
  return Status::Internal("unhandled test kind");
}

}  // namespace

const char* TestKindName(TestKind kind) {
  for (const KindInfo& info : kKinds) {
    if (info.kind == kind) return info.name;
  }
  return "?";
}

const char* TestActionName(TestAction action) {
  switch (action) {
    case TestAction::kWarn:
      return "warn";
    case TestAction::kFail:
      return "fail";
    case TestAction::kQuarantine:
      return "quarantine";
  }
  return "?";
}

bool IsRowLevel(TestKind kind) {
  return kind == TestKind::kNotNull || kind == TestKind::kAcceptedValues ||
         kind == TestKind::kRelationships || kind == TestKind::kRange || kind == TestKind::kExpect;
}

Result<std::vector<TestSpec>> ParseTests(const YamlField& field) {
  std::vector<std::string_view> allowed = {"name", "description", "action"};
  for (const KindInfo& info : kKinds) allowed.push_back(info.name);
  STRATA_ASSIGN_OR_RETURN(std::vector<YamlField> items, field.Items());
  std::vector<TestSpec> tests;
  std::set<std::string> names;
  for (const YamlField& item : items) {
    STRATA_RETURN_IF_ERROR(item.CheckKeys(allowed));
    TestSpec test;
    test.where = item.location();
    std::optional<YamlField> kind_value;
    for (const KindInfo& info : kKinds) {
      std::optional<YamlField> value = item.Get(info.name);
      if (!value) continue;
      if (kind_value) {
        return value->Error(std::string("a test has one kind; this one already is ") +
                            TestKindName(test.kind) + " (split it into two tests)");
      }
      test.kind = info.kind;
      kind_value = value;
    }
    if (!kind_value) {
      return item.Error(
          "a test needs one of not_null, unique, accepted_values, relationships, range, "
          "row_count, freshness, expect or sql");
    }
    STRATA_RETURN_IF_ERROR(ParseKind(*kind_value, test));
    STRATA_ASSIGN_OR_RETURN(test.description, GetString(item, "description"));
    if (auto action = item.Get("action")) {
      STRATA_ASSIGN_OR_RETURN(std::string text, action->Choice({"warn", "fail", "quarantine"}));
      test.action = text == "warn"   ? TestAction::kWarn
                    : text == "fail" ? TestAction::kFail
                                     : TestAction::kQuarantine;
      if (test.action == TestAction::kQuarantine && !IsRowLevel(test.kind)) {
        return action->Error(std::string("quarantine needs a row-level test (not_null, "
                                         "accepted_values, relationships, range, expect); ") +
                             TestKindName(test.kind) + " judges the whole table: use warn or fail");
      }
    }
    if (auto name = item.Get("name")) {
      STRATA_ASSIGN_OR_RETURN(test.name, name->String());
      Status valid = lake::ValidateNamePart("test name", test.name);
      if (!valid.ok()) return name->Error(valid.message());
    } else {
      test.name = TestKindName(test.kind);
      for (const std::string& column : test.columns) test.name += "_" + column;
    }
    if (!names.insert(test.name).second) {
      return item.Error("two tests are named '" + test.name + "': give each a distinct name");
    }
    tests.push_back(std::move(test));
  }
  return tests;
}

}  // namespace strata::pipeline
