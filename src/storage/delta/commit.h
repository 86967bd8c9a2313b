// Atomic Delta commits with optimistic concurrency (PROTOCOL.md "Delta Log Entries", and the
// conflict rules of Delta's OptimisticTransaction).
//
// A commit is PutIfAbsent of _delta_log/<version>.json, so two writers can never both create
// the same version and no commit is ever overwritten. A writer that loses the race reads each
// winning commit and checks whether it invalidates what this transaction read:
//  - a protocol or metaData change always conflicts;
//  - a txn (SetTransaction) with an appId this commit also sets conflicts;
//  - a removed file that this transaction read or removes conflicts (it rewrote stale data);
//  - an added data file (dataChange = true) conflicts unless this transaction is a blind append
//    or read nothing by predicate, or the file cannot match the predicate it read (FileMayMatch
//    on the file's partition values and stats).
// Without a conflict the same actions are retried at the next version (up to max_attempts);
// with one the result is Conflict naming the winning version and the reason.
//
// Uncertain outcomes: when PutIfAbsent fails with an I/O error the write may still have landed
// (a lost response). The commitInfo carries a unique txnId, so a later AlreadyExists for the same
// version is recognised as our own commit. If the outcome cannot be settled the error says so and
// CommitFailure::outcome_unknown is set: callers must then not delete the commit's data files.
// Thread safety: CommitTransaction is reentrant; concurrent calls (threads or processes) on one
// table are exactly what it arbitrates.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "storage/delta/actions.h"
#include "storage/delta/scan.h"
#include "storage/delta/snapshot.h"
#include "storage/object_store.h"

namespace strata::delta {

// What a transaction depended on, for the conflict check.
struct ReadSet {
  bool blind_append = false;  // read nothing: concurrent adds never conflict
  bool whole_table = false;   // read every row: any concurrent data add conflicts
  // Rows matching this AND of predicates were read (ignored with whole_table / blind_append;
  // empty = no rows were read by predicate, e.g. OPTIMIZE).
  std::vector<Predicate> predicate;
  std::vector<std::string> files;  // paths (log spelling) of files read; removed ones are added
};

struct CommitRequest {
  std::string operation;  // "WRITE", "DELETE", "MERGE", "OPTIMIZE", "CREATE TABLE", ...
  nlohmann::ordered_json operation_parameters = nlohmann::ordered_json::object();
  nlohmann::ordered_json operation_metrics = nlohmann::ordered_json::object();  // string values
  // The snapshot the transaction read (readVersion); nullptr when creating a new table, which
  // then commits version 0 or fails with AlreadyExists.
  const Snapshot* read_snapshot = nullptr;
  std::vector<Action> actions;  // without commitInfo (added here, first in the file)
  ReadSet read;
  // commitInfo.userMetadata (as Spark's `userMetadata` option): free text a writer reads back
  // from the history, e.g. how far it got in a source; omitted when empty.
  std::string user_metadata;
};

struct CommitOptions {
  int max_attempts = 1000;  // versions tried before giving up with Conflict
  int max_io_retries = 5;   // consecutive I/O failures tolerated per version
  Clock* clock = nullptr;   // commit timestamps and backoff; nullptr = Clock::System()
  std::string engine_info;  // empty = "strata/<version>"
};

struct CommitSuccess {
  int64_t version = 0;
  int attempts = 1;  // versions tried
  std::string txn_id;
};

// Why a commit failed. `outcome_unknown`: the commit may have landed (see above).
struct CommitFailure {
  bool outcome_unknown = false;
  std::optional<int64_t> conflicting_version;
};

Result<CommitSuccess> CommitTransaction(storage::ObjectStore& store, std::string_view table_root,
                                        const CommitRequest& request,
                                        const CommitOptions& options = {},
                                        CommitFailure* failure = nullptr);

// OK if `winner` (the actions of version `winner_version`) does not invalidate `request`, else
// Conflict naming the version and why. Exposed for tests.
Status CheckConflict(const CommitRequest& request, int64_t winner_version,
                     const std::vector<Action>& winner);

// "strata/<version>".
std::string EngineInfo();

}  // namespace strata::delta
