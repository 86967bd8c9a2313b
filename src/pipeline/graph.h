// The model graph: which tables each model reads, found by DuckDB's own parser
// (lake::FindTableRefs over json_serialize_sql), never by pattern matching on the SQL text.
//
// Contract:
//  - A model depends on every `layer.name` BASE_TABLE its SQL reads (FROM, joins, CTE bodies,
//    subqueries in any clause, set operations), and on the tables its tests read (relationships
//    `to:` and custom `sql:`). CTE names are unqualified and never tables. A model's tests may
//    read the model itself and its `__quarantine` (they see the candidate rows), which is no
//    dependency.
//  - A qualified reference whose schema is a layer of the project (the layer of a source or a
//    model) or of the lake must be a table the project defines (a source, a model, or the
//    `__quarantine` of one) or that the lake already holds. Anything else is InvalidArgument
//    naming both ends: the model (file) and the table, with close names. References to other
//    schemas (DuckDB's own, e.g. information_schema) and to paths are not tables of the graph.
//  - A cycle (a model reading itself included) is InvalidArgument naming every model on it.
//  - SQL that is not a single SELECT DuckDB can parse is InvalidArgument naming the file and
//    DuckDB's reason.
//  - `order` is topological; among models ready at the same time, by table name.
// Thread safety: a ModelGraph is immutable; building it uses the connection (one thread).
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "lake/lake.h"
#include "pipeline/project.h"

namespace strata::pipeline {

struct ModelNode {
  const ModelSpec* model = nullptr;
  std::vector<lake::TableName> reads;       // tables the SQL reads, sorted, distinct
  std::vector<lake::TableName> test_reads;  // tables the tests read (besides the model)
  std::vector<size_t> upstream;             // indexes into ModelGraph::nodes
  std::vector<size_t> downstream;
};

struct ModelGraph {
  std::vector<ModelNode> nodes;  // in topological order
  // Index of the node producing `table` (the model or its quarantine), or npos.
  size_t Find(const lake::TableName& table) const;
  static constexpr size_t npos = static_cast<size_t>(-1);
};

// Builds the graph of `project`'s models. `lake_tables` are the tables the lake holds now
// (references to them are known even if the project does not define them).
Result<ModelGraph> BuildModelGraph(const Project& project, engine::Connection& connection,
                                   const std::vector<lake::TableName>& lake_tables);

// Tables (as `layer.name`) read by one SQL text, by the same rules, without the known-table
// check; for tests and for other callers that need the references of a query.
Result<std::vector<lake::TableName>> QualifiedTableReads(engine::Connection& connection,
                                                         std::string_view sql,
                                                         const std::set<std::string>& layers);

// What a run selects. A name is `layer.name` or a bare name that is unique across layers;
// "+name" adds everything upstream of it and "name+" everything downstream.
struct Selection {
  std::vector<std::string> names;  // empty = everything
  std::string layer;               // "" = every layer
};

struct SelectedNodes {
  std::vector<std::string> sources;  // source names, project order
  std::vector<size_t> models;        // graph indexes, topological order
};

// NotFound naming a selected name that matches nothing (with close names); InvalidArgument for
// an ambiguous bare name.
Result<SelectedNodes> Select(const Project& project, const ModelGraph& graph,
                             const Selection& selection);

}  // namespace strata::pipeline
