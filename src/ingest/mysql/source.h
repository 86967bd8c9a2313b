// A MySQL/MariaDB database source: consistent snapshot, then the binlog, into CDC bronze tables
// exactly once. The front door of ingest/mysql.
//
//   MysqlSource source(lake, conn, spec, project_root + "/.strata/cdc");
//   source.Sync(nullptr, progress);   // snapshot what is new, then catch up to the binlog end
//   source.Follow(stop, progress);    // keep following until *stop
//
// Exactly once: every bronze commit carries a Delta txn per table ("strata-mysql:<source>/
// <table>", version = BinlogPosition::Version() of the last transaction it holds) and the full
// position as commitInfo.userMetadata; on start each table resumes from its own committed
// position, transactions at or before it are skipped. A transaction is never split across two
// commits of a table. Snapshot chunks (ordered by primary key) carry their own txn
// ("strata-mysql-snapshot:<source>/<table>", version = chunk number) and the last key, so a
// crashed snapshot resumes after its last committed chunk; the binlog is then read from the
// position of the first chunk's snapshot, so changes made while it ran are applied after the
// snapshot rows they follow (by `_position`). Tables without a primary key are refused.
//
// Lost position: when the binlog no longer holds the position a table must resume from (purged
// while strata was down), the tables that lost theirs are named and, with
// `resnapshot_on_lost_position` (on_lost_position: resnapshot), snapshotted again while the
// others stream on; without it Sync/Follow fail with FailedPrecondition naming the position,
// the tables and the option. A re-snapshot keeps bronze a correct change log: its rows are `r`
// rows at the new snapshot's position (after everything bronze holds), and its last commit adds
// a `d` row (at the position of its first chunk) for every key whose latest bronze row is older
// and not a delete - a row deleted at the source while the changes were lost. A mirror that
// applies bronze by key and `_position` (apply_changes) so ends equal to the source table. It
// is chunked and resumable like the first snapshot (its chunks continue the snapshot txn's
// versions); the binlog is then read from its first chunk's position. A binlog that restarted
// before the position bronze holds (RESET MASTER) is FailedPrecondition either way.
// Schema changes follow bronze.h: added columns are added, widened types widened, dropped
// columns are NULL from then on, other type changes fail naming the table and column.
// `<state_dir>/<source>.json` holds the position every table has passed (a shortcut for idle
// tables; losing it only costs rereading) and the follower's state for `source status`.
// Thread safety: one Sync/Follow at a time per source; TableStatuses() may run in another process.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "ingest/mysql/client.h"
#include "ingest/mysql/position.h"
#include "lake/lake.h"

namespace strata::ingest::mysql {

struct MysqlSourceSpec {
  std::string name;                  // "erp"
  ConnectionSpec connection;         // password resolved by the caller
  std::vector<std::string> tables;   // explicit list, or
  std::vector<std::string> include;  // globs over the database's base tables ("*" if both empty)
  std::vector<std::string> exclude;
  bool cdc = true;  // false: mode snapshot (a full copy each Sync)
  std::string layer = "bronze";
  std::string bronze = "{source}_{table}";  // table name pattern
  int64_t commit_interval_ms = 1000;
  int64_t commit_rows = 100000;
  int64_t snapshot_chunk_rows = 50000;
  uint32_t server_id = 0;                    // 0: derived from the source name
  bool resnapshot_on_lost_position = false;  // on_lost_position: resnapshot (else fail)

  lake::TableName BronzeTable(const std::string& table) const;
};

struct SyncProgress {
  std::string table;
  std::string phase;  // "snapshot", "stream"
  int64_t rows = 0;   // rows committed so far in this phase
  int64_t total = 0;  // estimated rows of the table (snapshot), 0 if unknown
  std::string position;
};
using ProgressFn = std::function<void(const SyncProgress&)>;

struct SyncReport {
  int64_t snapshot_rows = 0;
  int64_t change_rows = 0;
  int64_t transactions = 0;
  int64_t commits = 0;
  BinlogPosition position;     // where the source is now
  double max_lag_seconds = 0;  // source commit -> bronze commit, over the committed changes
  std::vector<std::string> resnapshotted;  // tables snapshotted again (lost position), by this
                                           // call (a resumed re-snapshot included)
};

struct TableStatus {
  std::string table;           // source table
  std::string bronze;          // bronze.erp_clientes
  std::string state;           // "new", "snapshotting 3/10", "following", "stopped", "error"
  std::string position;        // committed position ("binlog.000002:1234")
  int64_t rows = 0;            // rows in the bronze table
  int64_t last_commit_ms = 0;  // time of the table's last commit (0 = never)
  int64_t lag_bytes = -1;      // binlog bytes behind the server (-1 = unknown)
  double lag_seconds = -1;     // 0 when caught up; else seconds since the last commit
  std::string error;
};

class MysqlSource {
 public:
  MysqlSource(const lake::Lake& lake, engine::Connection& conn, MysqlSourceSpec spec,
              std::string state_dir);

  const MysqlSourceSpec& spec() const { return spec_; }
  // Snapshots tables never snapshotted (mode snapshot: all), then reads the binlog up to its
  // current end and commits. `stop` may be null.
  Result<SyncReport> Sync(const std::atomic<bool>* stop, const ProgressFn& progress);
  // Sync, then follows the binlog until *stop, committing every commit_interval_ms or
  // commit_rows. On stop: commits the complete transactions read, returns Cancelled-free OK.
  Result<SyncReport> Follow(const std::atomic<bool>& stop, const ProgressFn& progress);
  // Per table, from the bronze tables, the state file and (if reachable) the server.
  Result<std::vector<TableStatus>> TableStatuses();

  // The source tables the spec selects, in order (connects to the source).
  Result<std::vector<std::string>> ResolveTables(Client& client) const;

 private:
  struct Impl;
  const lake::Lake& lake_;
  engine::Connection& conn_;
  MysqlSourceSpec spec_;
  std::string state_dir_;
};

// appIds of a table's bronze commits.
std::string StreamAppId(const std::string& source, const std::string& table);
std::string SnapshotAppId(const std::string& source, const std::string& table);

}  // namespace strata::ingest::mysql
