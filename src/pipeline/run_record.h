// What a run did: the record RunProject returns. The orchestrator's run store keeps it as the
// output of the run (`strata runs show ID --json`), the CLI prints it (`strata run --json`).
//
// The JSON schema is stable:
//
//   {
//     "schema": "strata.run/1",
//     "run_id": "20250131T120000Z-3f9a1c",     // sortable by start time
//     "project": "importau", "command": "run" | "test",
//     "selection": {"names": [...], "layer": ""},
//     "started_at": "2025-01-31T12:00:00.123Z", "finished_at": "...", "duration_ms": 1234,
//     "status": "success" | "failed" | "cancelled",  // cancelled: stopped by a user (runner.h)
//     "catalog": {"synced": true, "error": ""},   // the catalog recorded the run (or why not)
//     "nodes": [{
//       "table": "silver.fato_pedido_correlacionado",
//       "kind": "source" | "model", "layer": "silver",
//       "materialized": "ingest" | "table" | "incremental" | "merge",
//       "status": "success" | "warn" | "failed" | "skipped",
//       "error": "...",                    // failed: why; skipped: which upstream failed,
//                                          // or "cancelled by user: ..."
//       "rows_written": 0, "rows_quarantined": 0,
//       "table_version": 3,                // Delta version committed, null if none
//       "quarantine_version": 1,           // same for <table>__quarantine
//       "duration_ms": 0,
//       "owner": "...", "tags": [...],
//       "files": [{"file", "sha256", "size_bytes", "state": "loaded" | "already_loaded" |
//                  "rejected" | "failed", "reason", "rows_read", "rows_loaded",
//                  "rows_quarantined"}],   // sources only
//       "tests": [{"name", "kind", "action", "status": "pass" | "warn" | "fail" |
//                  "quarantined" | "error", "failing_rows", "message", "duration_ms"}]
//     }]
//   }
//
// Fields are only ever added to this schema; a change of meaning bumps "strata.run/N".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "ingest/file_source.h"
#include "pipeline/expectations.h"

namespace strata::pipeline {

enum class NodeStatus { kSuccess, kWarn, kFailed, kSkipped };
const char* NodeStatusName(NodeStatus status);

struct NodeResult {
  std::string table;  // layer.name
  bool is_source = false;
  std::string layer;
  std::string materialized;  // "ingest" for sources
  std::string owner;
  std::vector<std::string> tags;
  NodeStatus status = NodeStatus::kSuccess;
  std::string error;
  int64_t rows_written = 0;
  int64_t rows_quarantined = 0;
  std::optional<int64_t> table_version;
  std::optional<int64_t> quarantine_version;
  int64_t millis = 0;
  std::vector<ingest::FileOutcome> files;
  std::vector<TestResult> tests;

  int tests_passed() const;
  int tests_failed() const;  // fail or error
  int tests_warned() const;  // warn, plus quarantine tests that moved rows
};

struct RunRecord {
  std::string run_id;
  std::string project;
  std::string command;  // "run" or "test"
  std::vector<std::string> selected_names;
  std::string selected_layer;
  int64_t started_at_micros = 0;
  int64_t finished_at_micros = 0;
  std::vector<NodeResult> nodes;
  // Whether the project's catalog recorded the run (catalog_sync.h); the error if it failed.
  // A catalog failure does not fail the run: the data is committed by then.
  bool catalog_synced = false;
  std::string catalog_error;
  // A cancel (RunOptions::cancel) stopped or kept from starting at least one node.
  bool cancelled = false;

  bool ok() const;  // no node failed or was skipped (so false for a cancelled run)
};

// `micros` since the epoch as ISO-8601 UTC with milliseconds: "2025-01-31T12:00:00.123Z".
std::string IsoTime(int64_t micros);

// A new run id for a run starting at `micros` (UTC): "YYYYMMDDTHHMMSSZ-xxxxxx".
std::string NewRunId(int64_t micros);

// The record as JSON text (the schema above), pretty-printed.
std::string RunRecordJson(const RunRecord& record);
// One node of it ({"table", "kind", ...}) as compact JSON text.
std::string NodeResultJson(const NodeResult& node);

}  // namespace strata::pipeline
