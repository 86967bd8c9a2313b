#include "pipeline/graph.h"

#include <algorithm>
#include <functional>
#include <map>

#include "lake/sql_refs.h"
#include "lake/table.h"

namespace strata::pipeline {
namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

void AddDistinct(std::vector<lake::TableName>& list, const lake::TableName& table) {
  if (std::find(list.begin(), list.end(), table) == list.end()) list.push_back(table);
}

// The project's tables and what defines them, for the known-table check.
struct Known {
  std::map<std::string, size_t> model_of;  // model or its quarantine -> model index
  std::set<std::string> tables;            // every table name the project or the lake knows
  std::set<std::string> layers;
};

Known CollectKnown(const Project& project, const std::vector<lake::TableName>& lake_tables) {
  Known known;
  for (const SourceSpec& source : project.sources) {
    const lake::TableName& t = source.spec.table;
    known.tables.insert(t.ToString());
    known.tables.insert(lake::QuarantineTableOf(t).ToString());
    known.layers.insert(t.layer);
  }
  for (size_t i = 0; i < project.models.size(); ++i) {
    const ModelSpec& model = project.models[i];
    known.model_of[model.table.ToString()] = i;
    known.model_of[model.QuarantineTable().ToString()] = i;
    known.tables.insert(model.table.ToString());
    known.tables.insert(model.QuarantineTable().ToString());
    known.layers.insert(model.table.layer);
  }
  for (const lake::TableName& t : lake_tables) {
    known.tables.insert(t.ToString());
    known.layers.insert(t.layer);
  }
  return known;
}

Status UnknownTable(const ModelSpec& model, const std::string& what, const lake::TableName& table,
                    const Known& known) {
  std::vector<std::string> candidates(known.tables.begin(), known.tables.end());
  std::vector<std::string> close = lake::CloseNames(table.ToString(), candidates, 3);
  std::string message = model.sql_file + ": " + model.table.ToString() + " " + what + " " +
                        table.ToString() +
                        ", which no source or model of the project defines and the lake does "
                        "not hold";
  if (!close.empty()) {
    message += " (did you mean ";
    for (size_t i = 0; i < close.size(); ++i) message += (i ? ", " : "") + close[i];
    message += "?)";
  }
  return Status::InvalidArgument(message);
}

// The cycle through `start` (a depth-first walk of `upstream` edges), if there is one.
std::vector<size_t> CycleThrough(const std::vector<ModelNode>& nodes, size_t start) {
  std::vector<size_t> path;
  std::vector<int> state(nodes.size(), 0);
  std::function<bool(size_t)> walk = [&](size_t at) {
    state[at] = 1;
    path.push_back(at);
    for (size_t up : nodes[at].upstream) {
      if (up == start) return true;
      if (state[up] == 0 && walk(up)) return true;
    }
    path.pop_back();
    return false;
  };
  if (!walk(start)) return {};
  return path;
}

Status CycleError(const std::vector<ModelNode>& nodes, size_t start,
                  const std::vector<size_t>& path) {
  if (path.size() == 1) {
    return Status::InvalidArgument(nodes[start].model->sql_file + ": " +
                                   nodes[start].model->table.ToString() +
                                   " reads itself (a model cannot depend on its own output)");
  }
  // `path` follows reads: start reads path[1], which reads path[2], ... which reads start.
  std::string chain;
  for (size_t index : path) chain += nodes[index].model->table.ToString() + " reads ";
  chain += nodes[start].model->table.ToString();
  return Status::InvalidArgument(nodes[start].model->sql_file + ": dependency cycle: " + chain);
}

}  // namespace

size_t ModelGraph::Find(const lake::TableName& table) const {
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].model->table == table || nodes[i].model->QuarantineTable() == table) return i;
  }
  return npos;
}

Result<std::vector<lake::TableName>> QualifiedTableReads(engine::Connection& connection,
                                                         std::string_view sql,
                                                         const std::set<std::string>& layers) {
  STRATA_ASSIGN_OR_RETURN(lake::SqlRefs refs, lake::FindTableRefs(connection, sql));
  if (!refs.parsed) return Status::InvalidArgument("not a SELECT DuckDB can parse: " + refs.reason);
  std::vector<lake::TableName> tables;
  for (const lake::SqlTableRef& ref : refs.refs) {
    // Unqualified names are CTEs or DuckDB tables; three-part names are DuckDB catalogs.
    if (ref.schema.empty() || !ref.catalog.empty() || lake::IsPathReference(ref.table)) continue;
    std::string layer = Lower(ref.schema);
    if (layers.count(layer) == 0) continue;
    AddDistinct(tables, lake::TableName{layer, Lower(ref.table)});
  }
  std::sort(tables.begin(), tables.end());
  return tables;
}

Result<ModelGraph> BuildModelGraph(const Project& project, engine::Connection& connection,
                                   const std::vector<lake::TableName>& lake_tables) {
  Known known = CollectKnown(project, lake_tables);
  std::vector<ModelNode> nodes(project.models.size());
  for (size_t i = 0; i < project.models.size(); ++i) {
    const ModelSpec& model = project.models[i];
    ModelNode& node = nodes[i];
    node.model = &model;
    Result<std::vector<lake::TableName>> reads =
        QualifiedTableReads(connection, model.sql, known.layers);
    if (!reads.ok()) return reads.status().WithContext(model.sql_file);
    node.reads = *reads;
    for (const lake::TableName& table : node.reads) {
      if (known.tables.count(table.ToString()) == 0) {
        return UnknownTable(model, "reads", table, known);
      }
    }
    for (const TestSpec& test : model.tests) {
      std::vector<lake::TableName> test_tables;
      if (test.to) test_tables.push_back(*test.to);
      if (test.kind == TestKind::kSql) {
        Result<std::vector<lake::TableName>> sql_reads =
            QualifiedTableReads(connection, test.sql, known.layers);
        if (!sql_reads.ok()) {
          return sql_reads.status().WithContext(test.where.ToString() + ": test '" + test.name +
                                                "'");
        }
        test_tables.insert(test_tables.end(), sql_reads->begin(), sql_reads->end());
      }
      for (const lake::TableName& table : test_tables) {
        if (table == model.table || table == model.QuarantineTable()) continue;
        if (known.tables.count(table.ToString()) == 0) {
          return UnknownTable(model, "has test '" + test.name + "' reading", table, known);
        }
        AddDistinct(node.test_reads, table);
      }
    }
    std::sort(node.test_reads.begin(), node.test_reads.end());
    for (const auto* list : {&node.reads, &node.test_reads}) {
      for (const lake::TableName& table : *list) {
        auto it = known.model_of.find(table.ToString());
        if (it == known.model_of.end()) continue;
        if (std::find(node.upstream.begin(), node.upstream.end(), it->second) ==
            node.upstream.end()) {
          node.upstream.push_back(it->second);
        }
      }
    }
  }
  // Kahn's algorithm; models are already sorted by name, so ties resolve by name.
  std::vector<size_t> pending(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) pending[i] = nodes[i].upstream.size();
  std::vector<size_t> order;
  std::vector<bool> done(nodes.size(), false);
  while (order.size() < nodes.size()) {
    bool progressed = false;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (done[i] || pending[i] != 0) continue;
      done[i] = true;
      order.push_back(i);
      progressed = true;
      for (size_t j = 0; j < nodes.size(); ++j) {
        for (size_t up : nodes[j].upstream) {
          if (up == i) --pending[j];
        }
      }
      break;  // restart so the lowest-named ready model goes next
    }
    if (!progressed) {
      for (size_t i = 0; i < nodes.size(); ++i) {
        if (done[i]) continue;
        std::vector<size_t> cycle = CycleThrough(nodes, i);
        if (!cycle.empty()) return CycleError(nodes, i, cycle);
      }
      return Status::Internal("model graph: no progress and no cycle");
    }
  }
  // Renumber into topological order.
  std::vector<size_t> position(nodes.size());
  for (size_t k = 0; k < order.size(); ++k) position[order[k]] = k;
  ModelGraph graph;
  graph.nodes.resize(nodes.size());
  for (size_t k = 0; k < order.size(); ++k) {
    ModelNode node = nodes[order[k]];
    for (size_t& up : node.upstream) up = position[up];
    std::sort(node.upstream.begin(), node.upstream.end());
    graph.nodes[k] = std::move(node);
  }
  for (size_t k = 0; k < graph.nodes.size(); ++k) {
    for (size_t up : graph.nodes[k].upstream) graph.nodes[up].downstream.push_back(k);
  }
  return graph;
}

}  // namespace strata::pipeline
