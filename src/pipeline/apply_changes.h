// apply_changes: the materialization that turns a change table (a CDC bronze table: the source
// table's columns plus _op, _position, _source_ts, _tx, _ingested_at) into the source table's
// current state (history scd1) or its whole history (scd2), one Delta commit per run.
//
//   ApplyChangesRequest r{.store = store, .source_name = "bronze.erp_clientes", ...};
//   r.changes_sql = [](const std::string& rel) { return "SELECT * FROM " + rel; };
//   STRATA_ASSIGN_OR_RETURN(ApplyChangesResult done, ApplyChanges(conn, r));
//
// Semantics (identical whether the changes arrive in one run or in many):
//  - `_op` is 'r' (snapshot read), 'c' (insert), 'u' (update) or 'd' (delete). The changes of a
//    key are ordered by `sequence_by`. Of several changes with the same key and sequence (a
//    repeated delivery) one counts: the highest _op (r < c < u < d), then the highest hash of
//    the whole change, so which one wins does not depend on the order they arrived in.
//  - scd1: a key's row is its latest change; a key whose latest change is a delete has no row. A
//    change older than one already applied to its key changes nothing.
//  - scd2: a row per change that is not a delete, with _valid_from (the change's time),
//    _valid_to (the time of the key's next change; NULL while current) and _is_current. A delete
//    closes the key's row. The time is `_source_ts` when the changes have it, else the sequence.
//    Rows keep the `sequence_by` column: (key, sequence) names a version.
//  - Columns: those of the changes minus `except_columns` (default _op, _position, _tx,
//    _ingested_at; `_source_ts` stays: when the row last changed). Key, sequence and _op must be
//    columns of the changes and never NULL; anything else is InvalidArgument naming the model
//    file and field.
//
// Incremental: every commit of the table records, in a Delta txn (appId
// "apply_changes:<source name>:<source table id>", version = the source version applied) and in
// commitInfo.userMetadata (that version, the highest sequence applied, a digest of the
// definition), how far it got. A run reads only the files added by the source versions after
// it. A key whose new changes all sort after the highest sequence applied is applied from them
// alone; a key with an older change is recomputed from the source's whole history of that key.
// One MERGE commit (DeltaTable::Merge, with the txn) applies a run: a failure before the commit
// applies nothing, the next run applies the same changes exactly once, and a concurrent
// duplicate run commits nothing (already_applied).
// A full rebuild (every change of the source) happens on the first run, on `full_refresh`, when
// the definition changed, when the source table was re-created or its new versions remove data
// (not append-only), and when the state cannot be read (another writer changed the table).
// Thread safety: one call per connection at a time; it uses temp tables named __ac_*.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "pipeline/project.h"
#include "storage/object_store.h"

namespace strata::pipeline {

struct ApplyChangesRequest {
  std::shared_ptr<storage::ObjectStore> store;
  std::string source_name;  // "bronze.erp_clientes" (in the txn appId and in messages)
  std::string source_root;  // its Delta table in `store`
  std::string target_name;  // "silver.clientes"
  std::string target_root;
  std::vector<std::string> key;
  ApplyChangesSpec spec;
  std::string model_file;  // named in errors ("models/silver/clientes.sql")
  std::string definition;  // the model's SQL: when it changes, the table is rebuilt
  // The model's changes given a SQL relation (a parenthesised SELECT) of source rows.
  std::function<Result<std::string>(const std::string& relation)> changes_sql;
  bool full_refresh = false;
  std::optional<std::string> description;  // of the table, when (re)created
  std::string temp_dir;                    // for non-local stores; empty = $TMPDIR or /tmp
};

struct ApplyChangesResult {
  bool full = false;             // rebuilt from every change of the source
  std::string full_reason;       // why ("first run", "the definition changed", ...)
  bool up_to_date = false;       // the source had no new version: nothing was read or committed
  bool already_applied = false;  // a concurrent run committed this source version first
  int64_t source_version = -1;   // the source version the table now reflects
  int64_t from_version = -1;     // the first source version read (incremental runs)
  int64_t changes = 0;           // changes read (repeats removed)
  int64_t late_keys = 0;         // keys recomputed from the whole history
  int64_t rows_written = 0;      // rows inserted, updated or deleted (full: all rows)
  std::optional<int64_t> table_version;  // the last version committed, if any
};

Result<ApplyChangesResult> ApplyChanges(engine::Connection& conn,
                                        const ApplyChangesRequest& request);

}  // namespace strata::pipeline
