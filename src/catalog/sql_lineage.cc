#include "catalog/sql_lineage.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

namespace strata::catalog {
namespace {

using nlohmann::json;

int Rank(const std::string& subtype) {
  if (subtype == "IDENTITY") return 0;
  if (subtype == "TRANSFORMATION") return 1;
  return 2;  // AGGREGATION
}

struct Flow {
  bool direct = true;
  std::string subtype = "IDENTITY";
};
using SourceKey = std::pair<std::string, std::string>;  // (input table, column)
using Sources = std::map<SourceKey, Flow>;

void Merge(Sources& into, const Sources& from) {
  for (const auto& [key, flow] : from) {
    auto [it, inserted] = into.emplace(key, flow);
    if (inserted) continue;
    Flow& have = it->second;
    if (flow.direct && (!have.direct || Rank(flow.subtype) < Rank(have.subtype))) have = flow;
  }
}

// Direct flows pass through one more step of kind `subtype` (the weakest step wins).
Sources Raise(Sources s, const std::string& subtype) {
  for (auto& [key, flow] : s) {
    if (flow.direct && Rank(flow.subtype) < Rank(subtype)) flow.subtype = subtype;
  }
  return s;
}

Sources Indirect(Sources s, const std::string& subtype) {
  for (auto& [key, flow] : s) flow = {false, subtype};
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct OutColumn {
  std::string name;
  Sources sources;
};
struct Relation {
  std::vector<OutColumn> columns;
  Sources indirect;  // influences every row (joins, filters, groupings), from inside
};
struct Binding {
  std::string name;  // alias, or the table/CTE name
  Relation relation;
  std::set<std::string> hidden;  // USING columns already shown by the left side
};
struct Scope {
  std::vector<Binding> bindings;
  const Scope* outer = nullptr;
  std::map<std::string, Sources> aliases;  // select-list aliases (GROUP BY/QUALIFY may use them)
};

const json& Field(const json& j, const char* name) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(name);
  return it == j.end() ? kNull : *it;
}
std::string Str(const json& j, const char* name) {
  const json& v = Field(j, name);
  return v.is_string() ? v.get<std::string>() : "";
}

class Walker {
 public:
  Walker(const SchemaLookup& lookup, std::set<std::string> aggregates)
      : lookup_(lookup), aggregates_(std::move(aggregates)) {}

  Status status() const { return status_; }
  const std::vector<std::string>& inputs() const { return inputs_; }

  Relation Node(const json& node, const Scope* outer) {
    std::string type = Str(node, "type");
    if (type == "SET_OPERATION_NODE" || type == "RECURSIVE_CTE_NODE")
      return SetOperation(node, outer);
    if (type != "SELECT_NODE") return {};
    size_t frames = PushCtes(node, outer);
    Relation out;
    Scope scope;
    scope.outer = outer;
    From(Field(node, "from_table"), scope, out.indirect, outer);
    for (const Binding& b : scope.bindings) Merge(out.indirect, b.relation.indirect);
    for (const json& e : Field(node, "select_list")) {
      const json& columns_flag = Field(e, "columns");
      if (Str(e, "class") == "STAR" && !(columns_flag.is_boolean() && columns_flag.get<bool>())) {
        ExpandStar(e, scope, out);
        continue;
      }
      OutColumn c;
      c.name = Str(e, "alias");
      if (c.name.empty() && Str(e, "class") == "COLUMN_REF") {
        const json& names = Field(e, "column_names");
        if (names.is_array() && !names.empty()) c.name = names.back().get<std::string>();
      }
      c.sources = Expr(e, scope);
      if (!c.name.empty()) scope.aliases[Lower(c.name)] = c.sources;
      out.columns.push_back(std::move(c));
    }
    Merge(out.indirect, Indirect(Expr(Field(node, "where_clause"), scope), "FILTER"));
    Merge(out.indirect, Indirect(Expr(Field(node, "having"), scope), "FILTER"));
    Merge(out.indirect, Indirect(Expr(Field(node, "qualify"), scope), "FILTER"));
    for (const json& g : Field(node, "group_expressions")) {
      Merge(out.indirect, Indirect(Expr(g, scope), "GROUP_BY"));
    }
    Merge(out.indirect, Indirect(AnyExpressions(Field(node, "modifiers"), scope), "SORT"));
    ctes_.resize(ctes_.size() - frames);
    return out;
  }

 private:
  Relation SetOperation(const json& node, const Scope* outer) {
    size_t frames = PushCtes(node, outer);
    std::vector<Relation> parts;
    if (Field(node, "children").is_array() && !Field(node, "children").empty()) {
      for (const json& child : Field(node, "children"))
        parts.push_back(Node(Field(child, "node").is_null() ? child : Field(child, "node"), outer));
    } else {
      parts.push_back(Node(Field(node, "left"), outer));
      parts.push_back(Node(Field(node, "right"), outer));
    }
    ctes_.resize(ctes_.size() - frames);
    Relation out;
    for (Relation& part : parts) {
      Merge(out.indirect, part.indirect);
      for (size_t i = 0; i < part.columns.size(); ++i) {
        if (i >= out.columns.size()) out.columns.push_back({part.columns[i].name, {}});
        Merge(out.columns[i].sources, part.columns[i].sources);
      }
    }
    return out;
  }

  size_t PushCtes(const json& node, const Scope* outer) {
    const json& map = Field(Field(node, "cte_map"), "map");
    if (!map.is_array() || map.empty()) return 0;
    ctes_.emplace_back();
    for (const json& entry : map) {
      std::string name = Lower(Str(entry, "key"));
      Relation r = Node(Field(Field(Field(entry, "value"), "query"), "node"), outer);
      const json& aliases = Field(Field(entry, "value"), "aliases");
      for (size_t i = 0; aliases.is_array() && i < aliases.size() && i < r.columns.size(); ++i) {
        r.columns[i].name = aliases[i].get<std::string>();
      }
      ctes_.back()[name] = std::move(r);
    }
    return 1;
  }

  const Relation* FindCte(const std::string& name) const {
    for (auto it = ctes_.rbegin(); it != ctes_.rend(); ++it) {
      auto found = it->find(Lower(name));
      if (found != it->end()) return &found->second;
    }
    return nullptr;
  }

  void Rename(Relation& r, const json& aliases) {
    for (size_t i = 0; aliases.is_array() && i < aliases.size() && i < r.columns.size(); ++i) {
      r.columns[i].name = aliases[i].get<std::string>();
    }
  }

  void From(const json& ref, Scope& scope, Sources& indirect, const Scope* outer) {
    std::string type = Str(ref, "type");
    std::string alias = Str(ref, "alias");
    if (type == "BASE_TABLE") {
      std::string table = Str(ref, "table_name");
      std::string schema = Str(ref, "schema_name");
      Binding b;
      b.name = alias.empty() ? table : alias;
      const Relation* cte = schema.empty() ? FindCte(table) : nullptr;
      if (cte != nullptr) {
        b.relation = *cte;
      } else {
        std::string qualified = schema.empty() ? table : schema + "." + table;
        if (!Str(ref, "catalog_name").empty())
          qualified = Str(ref, "catalog_name") + "." + qualified;
        if (std::find(inputs_.begin(), inputs_.end(), qualified) == inputs_.end()) {
          inputs_.push_back(qualified);
        }
        Result<std::vector<std::string>> columns = lookup_(qualified);
        if (!columns.ok()) {
          if (status_.ok()) status_ = columns.status();
        } else {
          for (const std::string& c : *columns) {
            b.relation.columns.push_back({c, {{{qualified, c}, Flow{}}}});
          }
        }
      }
      Rename(b.relation, Field(ref, "column_name_alias"));
      scope.bindings.push_back(std::move(b));
    } else if (type == "JOIN") {
      From(Field(ref, "left"), scope, indirect, outer);
      size_t right_start = scope.bindings.size();
      From(Field(ref, "right"), scope, indirect, outer);
      Merge(indirect, Indirect(Expr(Field(ref, "condition"), scope), "JOIN"));
      for (const json& u : Field(ref, "using_columns")) {
        std::string column = u.get<std::string>();
        for (size_t i = 0; i < scope.bindings.size(); ++i) {
          for (const OutColumn& c : scope.bindings[i].relation.columns) {
            if (Lower(c.name) == Lower(column)) Merge(indirect, Indirect(c.sources, "JOIN"));
          }
          if (i >= right_start) scope.bindings[i].hidden.insert(Lower(column));
        }
      }
    } else if (type == "SUBQUERY") {
      Binding b;
      b.name = alias;
      b.relation = Node(Field(Field(ref, "subquery"), "node"), outer);
      Rename(b.relation, Field(ref, "column_name_alias"));
      scope.bindings.push_back(std::move(b));
    } else if (type == "TABLE_FUNCTION") {
      Binding b;
      b.name = alias;
      Sources s = Raise(Expr(Field(ref, "function"), scope), "TRANSFORMATION");
      for (const json& name : Field(ref, "column_name_alias")) {
        b.relation.columns.push_back({name.get<std::string>(), s});
      }
      scope.bindings.push_back(std::move(b));
    } else if (!ref.is_null() && type != "EMPTY") {
      // Other references (VALUES lists, PIVOT, ...): keep their column names if given.
      Binding b;
      b.name = alias;
      for (const json& name : Field(ref, "column_name_alias"))
        b.relation.columns.push_back({name.get<std::string>(), {}});
      scope.bindings.push_back(std::move(b));
    }
  }

  void ExpandStar(const json& star, const Scope& scope, Relation& out) {
    std::string relation = Lower(Str(star, "relation_name"));
    std::set<std::string> excluded;
    for (const json& x : Field(star, "exclude_list")) {
      if (x.is_string()) excluded.insert(Lower(x.get<std::string>()));
      const json& names = Field(x, "column_names");  // newer form: qualified column names
      if (names.is_array() && !names.empty())
        excluded.insert(Lower(names.back().get<std::string>()));
    }
    std::map<std::string, const json*> replaced;
    for (const json& r : Field(star, "replace_list")) {
      replaced[Lower(Str(r, "key"))] = &Field(r, "value");
    }
    for (const Binding& b : scope.bindings) {
      if (!relation.empty() && Lower(b.name) != relation) continue;
      for (const OutColumn& c : b.relation.columns) {
        std::string key = Lower(c.name);
        if (excluded.contains(key) || (relation.empty() && b.hidden.contains(key))) continue;
        auto r = replaced.find(key);
        out.columns.push_back({c.name, r == replaced.end() ? c.sources : Expr(*r->second, scope)});
      }
    }
  }

  std::optional<Sources> Resolve(const std::vector<std::string>& names, const Scope& scope) {
    for (const Scope* s = &scope; s != nullptr; s = s->outer) {
      std::string column = Lower(names.back());
      std::string table = names.size() >= 2 ? Lower(names[names.size() - 2]) : "";
      for (const Binding& b : s->bindings) {
        if (!table.empty() && Lower(b.name) != table) continue;
        for (const OutColumn& c : b.relation.columns) {
          if (Lower(c.name) == column) return c.sources;
        }
      }
      if (names.size() == 1) {
        auto alias = s->aliases.find(column);
        if (alias != s->aliases.end()) return alias->second;
      }
    }
    return std::nullopt;
  }

  Sources Expr(const json& e, const Scope& scope) {
    if (!e.is_object()) return {};
    std::string cls = Str(e, "class");
    if (cls == "COLUMN_REF") {
      std::vector<std::string> names;
      for (const json& n : Field(e, "column_names")) names.push_back(n.get<std::string>());
      if (names.empty()) return {};
      std::optional<Sources> found = Resolve(names, scope);
      // A struct field (t.col.field): resolve the column part.
      for (size_t drop = 1; !found && drop < names.size(); ++drop) {
        found = Resolve({names.begin(), names.end() - static_cast<long>(drop)}, scope);
        if (found) found = Raise(*found, "TRANSFORMATION");
      }
      return found.value_or(Sources{});
    }
    if (cls == "CONSTANT" || cls == "STAR" || cls == "PARAMETER") return {};
    if (cls == "FUNCTION" || cls == "WINDOW" || cls == "AGGREGATE") {
      std::string name = Lower(Str(e, "function_name"));
      bool aggregate = aggregates_.contains(name);
      Sources s;
      for (const json& c : Field(e, "children")) Merge(s, Expr(c, scope));
      Sources out = Raise(std::move(s), aggregate ? "AGGREGATION" : "TRANSFORMATION");
      Merge(out, Indirect(Expr(Field(e, "filter"), scope), "FILTER"));
      Merge(out, Indirect(Expr(Field(e, "filter_expr"), scope), "FILTER"));
      Merge(out, Indirect(AnyExpressions(Field(e, "order_bys"), scope), "SORT"));
      if (cls == "WINDOW") {
        Sources window;
        for (const json& p : Field(e, "partitions")) Merge(window, Expr(p, scope));
        Merge(window, AnyExpressions(Field(e, "orders"), scope));
        Merge(out, Indirect(std::move(window), "WINDOW"));
        for (const char* extra : {"offset_expr", "default_expr"}) {
          Merge(out, Raise(Expr(Field(e, extra), scope), "TRANSFORMATION"));
        }
      }
      return out;
    }
    if (cls == "CASE") {
      Sources out;
      for (const json& check : Field(e, "case_checks")) {
        Merge(out, Raise(Expr(Field(check, "then_expr"), scope), "TRANSFORMATION"));
        Merge(out, Indirect(Expr(Field(check, "when_expr"), scope), "CONDITIONAL"));
      }
      Merge(out, Raise(Expr(Field(e, "else_expr"), scope), "TRANSFORMATION"));
      return out;
    }
    if (cls == "SUBQUERY") {
      Relation r = Node(Field(Field(e, "subquery"), "node"), &scope);
      Sources all;
      for (const OutColumn& c : r.columns) Merge(all, c.sources);
      Sources out;
      if (Str(e, "subquery_type") == "SCALAR") {
        out = Raise(std::move(all), "TRANSFORMATION");
      } else {
        out = Indirect(std::move(all), "FILTER");
      }
      Merge(out, Raise(Expr(Field(e, "child"), scope), "TRANSFORMATION"));
      return out;
    }
    // Operators, comparisons, casts, BETWEEN, COLLATE, ...: every nested expression computes.
    return Raise(AnyExpressions(e, scope, /*top=*/true), "TRANSFORMATION");
  }

  // Every expression nested anywhere in `j` (objects with a "class"), merged.
  Sources AnyExpressions(const json& j, const Scope& scope, bool top = false) {
    Sources out;
    if (j.is_object()) {
      if (!top && j.contains("class")) return Expr(j, scope);
      for (const auto& [key, value] : j.items()) {
        if (value.is_structured()) Merge(out, AnyExpressions(value, scope));
      }
    } else if (j.is_array()) {
      for (const json& v : j) Merge(out, AnyExpressions(v, scope));
    }
    return out;
  }

  const SchemaLookup& lookup_;
  std::set<std::string> aggregates_;
  std::vector<std::map<std::string, Relation>> ctes_;
  std::vector<std::string> inputs_;
  Status status_;
};

// DuckDB's aggregate functions: those of the linked library, which strata does not extend, so
// the first successful listing serves the process (it took 30-60 ms, once per lineage).
Result<std::set<std::string>> AggregateNames(engine::Connection& connection) {
  static std::mutex mutex;
  static std::optional<std::set<std::string>> cached;
  std::lock_guard<std::mutex> lock(mutex);
  if (cached) return *cached;
  STRATA_ASSIGN_OR_RETURN(
      auto rows,
      connection.QueryRows("SELECT DISTINCT lower(function_name) FROM duckdb_functions() "
                           "WHERE function_type = 'aggregate'"));
  std::set<std::string> names;
  for (const auto& row : rows) {
    if (const auto* s = std::get_if<std::string>(&row[0])) names.insert(*s);
  }
  cached = names;
  return names;
}

}  // namespace

SchemaLookup DescribeLookup(engine::Connection& connection) {
  return [&connection](const std::string& table) -> Result<std::vector<std::string>> {
    std::string quoted;
    size_t start = 0;
    while (true) {
      size_t dot = table.find('.', start);
      if (!quoted.empty()) quoted += '.';
      quoted += engine::QuoteIdentifier(table.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    auto rows = connection.QueryRows("DESCRIBE " + quoted);
    if (!rows.ok())
      return Status::NotFound("lineage: input table " + table + ": " + rows.status().message());
    std::vector<std::string> columns;
    for (const auto& row : *rows) {
      if (const auto* s = std::get_if<std::string>(&row[0])) columns.push_back(*s);
    }
    return columns;
  };
}

Result<SqlLineage> DeriveSqlLineage(engine::Connection& connection, std::string_view sql,
                                    const SchemaLookup& lookup) {
  STRATA_ASSIGN_OR_RETURN(auto statement,
                          connection.Prepare("SELECT json_serialize_sql(?::VARCHAR)"));
  STRATA_RETURN_IF_ERROR(statement->Bind(1, std::string(sql)));
  STRATA_ASSIGN_OR_RETURN(auto result, statement->Execute());
  STRATA_ASSIGN_OR_RETURN(auto chunk, result->Next());
  if (!chunk || chunk->size() == 0) return Status::Internal("json_serialize_sql returned nothing");
  json tree = json::parse(chunk->Text(0, 0), nullptr, false);
  if (tree.is_discarded()) return Status::Internal("json_serialize_sql returned invalid JSON");
  if (Field(tree, "error").is_boolean() && tree["error"].get<bool>()) {
    return Status::InvalidArgument("lineage: cannot parse the SQL as a SELECT: " +
                                   Str(tree, "error_message"));
  }
  const json& statements = Field(tree, "statements");
  if (!statements.is_array() || statements.size() != 1) {
    return Status::InvalidArgument("lineage: expected exactly one SELECT statement");
  }
  STRATA_ASSIGN_OR_RETURN(std::set<std::string> aggregates, AggregateNames(connection));
  Walker walker(lookup, std::move(aggregates));
  Relation relation;
  try {
    relation = walker.Node(Field(statements[0], "node"), nullptr);
  } catch (const json::exception& e) {
    // A parse tree shape we did not expect (a newer DuckDB): report, never crash.
    return Status::Internal(std::string("lineage: unexpected parse tree: ") + e.what());
  }
  STRATA_RETURN_IF_ERROR(walker.status());

  SqlLineage out;
  out.inputs = walker.inputs();
  // DuckDB's own output names (e.g. "count_star()"), when the query binds here.
  auto described = connection.QueryRows("DESCRIBE " + std::string(sql));
  if (described.ok() && described->size() == relation.columns.size()) {
    for (size_t i = 0; i < described->size(); ++i) {
      if (const auto* s = std::get_if<std::string>(&(*described)[i][0]))
        relation.columns[i].name = *s;
    }
  }
  auto flow_name = [](const Flow& f) { return f.direct ? "DIRECT" : "INDIRECT"; };
  for (const OutColumn& c : relation.columns) {
    out.output_columns.push_back(c.name);
    for (const auto& [key, flow] : c.sources) {
      out.columns.push_back({c.name, key.first, key.second, flow_name(flow), flow.subtype});
    }
  }
  for (const auto& [key, flow] : relation.indirect) {
    out.dataset.push_back({"", key.first, key.second, "INDIRECT", flow.subtype});
  }
  return out;
}

LineageRecord ToLineageRecord(const SqlLineage& lineage, const std::string& job,
                              const std::string& output_table, const std::string& run_id,
                              std::optional<int64_t> output_version) {
  LineageRecord record;
  record.job = job;
  record.kind = "sql";
  record.run_id = run_id;
  record.inputs = lineage.inputs;
  record.outputs = {output_table};
  record.output_version = output_version;
  for (const SqlColumnEdge& e : lineage.columns) {
    record.columns.push_back({e.input_table, e.input_column, output_table, e.output_column,
                              e.transformation, e.subtype});
  }
  return record;
}

}  // namespace strata::catalog
