// Reading a MySQL/MariaDB binlog as a replica (MariaDB Connector/C's mariadb_rpl API), decoded
// into whole source transactions of the followed tables.
//
// Contract:
//  - Open checks the server can be followed (binlog on, binlog_format=ROW, binlog_row_image=
//    FULL, binlog_row_metadata=FULL: FailedPrecondition naming the setting otherwise) and starts
//    a binlog dump at `start`, which must be a transaction boundary. NotFound when the file is
//    no longer on the server (purged): the caller decides to re-snapshot or fail.
//  - Next() returns the next transaction that ended after `start` (with its changes to followed
//    tables, possibly none), an idle marker (blocking mode: a heartbeat, at most every
//    `heartbeat_ms`, carrying the current position), or the end (non-blocking mode: the
//    server's binlog end at the time of the call).
//  - Rolled-back transactions never reach the binlog, so they never appear. An UPDATE that
//    changes the primary key comes out as a delete of the old row and an insert of the new.
//  - A change to a followed table whose column cannot be decoded is Unsupported naming the
//    table and column.
// Thread safety: one thread; Stop() may be called from any thread (the blocked read ends at the
// next heartbeat).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "ingest/mysql/binlog_events.h"
#include "ingest/mysql/client.h"
#include "ingest/mysql/position.h"

namespace strata::ingest::mysql {

struct Change {
  char op = 'c';                   // 'c' insert, 'u' update, 'd' delete
  std::vector<engine::Value> row;  // after image; for 'd' the deleted row
  std::string position;            // _position (position.h)
};

struct TableChanges {
  std::vector<Column> columns;  // as of this transaction's table map
  std::vector<Change> changes;
};

struct Transaction {
  std::string gtid;           // "0-1-57"
  BinlogPosition end;         // resume point after this transaction
  int64_t commit_micros = 0;  // commit time at the source (event timestamp, seconds)
  std::map<std::string, TableChanges> tables;  // followed tables it changed, by table name
  std::vector<std::string> ddl;                // statements of DDL it carried
  int64_t rows() const;
};

struct StreamItem {
  enum Kind { kTransaction, kIdle, kEnd } kind = kEnd;
  Transaction transaction;  // kTransaction
  BinlogPosition position;  // kIdle, kEnd: everything before it has been read
};

struct BinlogStreamOptions {
  ConnectionSpec connection;
  uint32_t server_id = 0;  // unique among the server's replicas
  bool blocking = false;   // false: stop at the current end of the binlog
  int heartbeat_ms = 500;
  // Whether changes of `table` (in connection.database) are kept.
  std::function<bool(const std::string& table)> follows;
};

class BinlogStream {
 public:
  static Result<std::unique_ptr<BinlogStream>> Open(const BinlogStreamOptions& options,
                                                    const BinlogPosition& start);
  ~BinlogStream();
  BinlogStream(const BinlogStream&) = delete;
  BinlogStream& operator=(const BinlogStream&) = delete;

  Result<StreamItem> Next();
  void Stop() { stop_.store(true); }

 private:
  struct Rpl;
  BinlogStream() = default;
  Status HandleRows(uint8_t type, std::string_view body, uint64_t event_offset);

  BinlogStreamOptions options_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<Rpl> rpl_;
  std::string file_;
  size_t checksum_bytes_ = 4;
  uint64_t offset_ = 4;  // resume point: the end of the last complete transaction or event
  std::string last_gtid_;
  std::map<uint64_t, TableMap> maps_;
  std::atomic<bool> stop_{false};
  bool in_transaction_ = false;
  Transaction current_;
};

// The server's current binlog end (SHOW MASTER STATUS) and GTID (@@gtid_binlog_pos).
Result<BinlogPosition> CurrentPosition(Client& client);

// The start of the oldest binlog file the server still has (SHOW BINARY LOGS).
Result<BinlogPosition> OldestBinlogPosition(Client& client);

// FailedPrecondition naming the setting if the server cannot be followed.
Status CheckBinlogSettings(Client& client);

}  // namespace strata::ingest::mysql
