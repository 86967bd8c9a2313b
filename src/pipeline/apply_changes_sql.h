// Internal to apply_changes: the SQL that reads changes into temp tables and turns them into the
// rows of a full rebuild or of one MERGE (semantics in apply_changes.h). Every function works on
// the caller's connection and the temp tables named below; TempTables drops them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "pipeline/apply_changes.h"
#include "storage/delta/schema.h"

namespace strata::pipeline {

// Temp tables: the changes read (repeats removed, plus __ac_rank and __ac_hash), the late keys,
// the whole history of the late keys, and the rows to commit.
inline constexpr char kChanges[] = "__ac_changes";
inline constexpr char kLate[] = "__ac_late";
inline constexpr char kHistory[] = "__ac_history";
inline constexpr char kLateRows[] = "__ac_late_rows";
inline constexpr char kFull[] = "__ac_full";
inline constexpr char kMerge[] = "__ac_merge";
// The merge source's column saying "delete the matched row / insert nothing".
inline constexpr char kDeleteFlag[] = "__ac_delete";

// Drops the temp tables above when it goes out of scope.
class TempTables {
 public:
  explicit TempTables(engine::Connection& conn) : conn_(conn) {}
  ~TempTables();
  TempTables(const TempTables&) = delete;
  TempTables& operator=(const TempTables&) = delete;

 private:
  engine::Connection& conn_;
};

// The columns of the changes, as the model's SQL spells them.
struct ChangeColumns {
  std::vector<std::string> all;  // every column of the changes, in order
  std::vector<std::string> key;
  std::string sequence;
  std::string sequence_type;     // SQL type, for the watermark literal
  std::string op;                // _op
  std::string time;              // scd2 validity: _source_ts if present, else `sequence`
  std::vector<std::string> out;  // written to the table (scd2 adds the validity columns)
  bool scd2 = false;
};

// Reads the model's changes over `relation` into `table` (one change per key and sequence),
// checking the columns and that key, sequence and _op are never NULL or unknown.
Result<ChangeColumns> LoadChanges(engine::Connection& conn, const ApplyChangesRequest& request,
                                  const std::string& relation, const char* table);
// Keys of kChanges with a change at or below `watermark` into kLate; returns how many.
Result<int64_t> FindLateKeys(engine::Connection& conn, const ChangeColumns& cols,
                             const std::optional<std::string>& watermark);
// Every change of the kLate keys over `relation` (the whole source) into kHistory.
Status LoadLateHistory(engine::Connection& conn, const ApplyChangesRequest& request,
                       const ChangeColumns& cols, const std::string& relation);
// The highest sequence of kChanges and `previous`, as VARCHAR; nullopt if there is none.
Result<std::optional<std::string>> MaxSequence(engine::Connection& conn, const ChangeColumns& cols,
                                               const std::optional<std::string>& previous = {});
// The table's rows from every change in kChanges, into kFull.
Status BuildFullRows(engine::Connection& conn, const ChangeColumns& cols);
// The MERGE source into kMerge: rows to upsert (kDeleteFlag false) and to delete (true), from
// kChanges, and kHistory when `late_keys` > 0. `target` is the table's current rows.
Status BuildMergeRows(engine::Connection& conn, const ChangeColumns& cols,
                      const delta::Schema& target_schema, const std::string& target,
                      int64_t late_keys);
// The MERGE keys: the key, plus the sequence for scd2 (a version per key and sequence).
std::vector<std::string> MergeKeys(const ChangeColumns& cols);

}  // namespace strata::pipeline
