// Internal to the pipeline runner: running (or testing) one source or one model on a worker's
// own connection. See runner.h for the contract these implement.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "ingest/file_source.h"
#include "lake/lake.h"
#include "lake/session.h"
#include "pipeline/graph.h"
#include "pipeline/project.h"
#include "pipeline/run_record.h"

namespace strata::pipeline {

// What one worker thread owns: its connection and lake session (views), plus run-wide facts.
struct Worker {
  const Project* project = nullptr;
  const lake::Lake* lake = nullptr;
  engine::Connection* connection = nullptr;
  lake::LakeSession* session = nullptr;
  // The sessions' views live in the shared database's catalog (schemas bronze, silver, ...),
  // so binding is serialised across workers: concurrent CREATE OR REPLACE VIEW of one name
  // would conflict. Within a run every table is committed once, before anyone reads it, so all
  // workers bind the same versions.
  std::mutex* bind_mutex = nullptr;
  std::string run_id;
  int64_t ingested_at_micros = 0;
  // RunOptions::files: the files named for each source (null or absent = list the landing).
  const std::map<std::string, std::vector<ingest::LandedFile>>* files = nullptr;
  bool full_refresh = false;  // RunOptions::full_refresh
};

NodeResult RunSource(const SourceSpec& source, Worker& worker);
NodeResult TestSource(const SourceSpec& source, Worker& worker);
NodeResult RunModel(const ModelNode& node, Worker& worker);
NodeResult TestModel(const ModelNode& node, Worker& worker);

// Shared by both: the status of a node from its tests (failed if any blocks, warn if any warns
// or quarantined rows), unless already failed.
void SettleStatus(NodeResult& result);

// Binds a table of the lake on the worker's session and returns its view's SQL name.
Result<std::string> BindLakeTable(Worker& worker, const lake::TableName& table);
// Binds every lake table `sql` reads; returns the SQL to run.
Result<std::string> BindLakeSql(Worker& worker, std::string_view sql);

}  // namespace strata::pipeline
