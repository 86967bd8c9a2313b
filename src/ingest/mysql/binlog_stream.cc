// GCC 12 reports a false -Wmaybe-uninitialized when a std::variant engine::Value is moved into
// a Result (GCC bugs 105562, 107919).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "ingest/mysql/binlog_stream.h"

#include <mysql.h>
// mariadb_rpl.h needs mysql.h first.
#include <mariadb_rpl.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "common/numbers.h"

namespace strata::ingest::mysql {

int64_t Transaction::rows() const {
  int64_t n = 0;
  for (const auto& [name, t] : tables) n += static_cast<int64_t>(t.changes.size());
  return n;
}

struct BinlogStream::Rpl {
  MARIADB_RPL* rpl = nullptr;
  MARIADB_RPL_EVENT* event = nullptr;
  ~Rpl() {
    if (event != nullptr) mariadb_free_rpl_event(event);
    if (rpl != nullptr) mariadb_rpl_close(rpl);
  }
};

namespace {

Result<std::string> Variable(Client& client, const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(std::vector<TextRow> rows, client.Query("SELECT @@global." + name));
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return std::string();
  return *rows[0][0];
}

// Status for a failed dump (the error is on the connection or, for some, on the rpl handle);
// a purged or unknown binlog file is NotFound.
Status DumpError(Client& client, MARIADB_RPL* rpl, const BinlogPosition& at) {
  MYSQL* mysql = client.handle();
  unsigned int code = mysql_errno(mysql);
  std::string message = mysql_error(mysql);
  if (code == 0 && rpl != nullptr && mariadb_rpl_errno(rpl) != 0) {
    code = mariadb_rpl_errno(rpl);
    message = mariadb_rpl_error(rpl);
  }
  if (code == 0) {
    return Status::IOError("binlog dump from " + at.ToString() + " ended without an error code");
  }
  if (code != 1236) return client.LastError("binlog dump from " + at.ToString());
  if ((message.find("Could not find first log") != std::string::npos ||
       message.find("could not find") != std::string::npos)) {
    return Status::NotFound("binlog position " + at.ToString() +
                            " is no longer on the server (purged?): " + message);
  }
  return Status::IOError("binlog dump from " + at.ToString() + ": " + message);
}

bool PrimaryKeyChanged(const TableMap& map, const RowChange& row) {
  for (const std::string& key : map.primary_key) {
    for (size_t i = 0; i < map.columns.size(); ++i) {
      if (map.columns[i].name == key && row.before[i] != row.after[i]) return true;
    }
  }
  return false;
}

}  // namespace

Status CheckBinlogSettings(Client& client) {
  struct Required {
    const char* variable;
    const char* value;
  };
  static constexpr Required kRequired[] = {{"log_bin", "1"},
                                           {"binlog_format", "ROW"},
                                           {"binlog_row_image", "FULL"},
                                           {"binlog_row_metadata", "FULL"}};
  for (const Required& r : kRequired) {
    STRATA_ASSIGN_OR_RETURN(std::string value, Variable(client, r.variable));
    if (value != r.value) {
      return Status::FailedPrecondition(
          "mysql " + client.spec().host + ":" + std::to_string(client.spec().port) + " has " +
          r.variable + "=" + (value.empty() ? "(unset)" : value) + "; change data capture needs " +
          r.variable + "=" + r.value);
    }
  }
  return Status::OK();
}

Result<BinlogPosition> CurrentPosition(Client& client) {
  STRATA_ASSIGN_OR_RETURN(std::vector<TextRow> rows, client.Query("SHOW MASTER STATUS"));
  if (rows.empty() || rows[0].size() < 2 || !rows[0][0] || !rows[0][1]) {
    return Status::FailedPrecondition("mysql " + client.spec().host +
                                      ": SHOW MASTER STATUS is empty (is log_bin on?)");
  }
  BinlogPosition p;
  p.file = *rows[0][0];
  std::optional<uint64_t> offset = ParseInteger<uint64_t>(*rows[0][1]);
  if (!offset) {
    return Status::Internal("mysql " + client.spec().host +
                            ": SHOW MASTER STATUS gave a non-numeric position '" + *rows[0][1] +
                            "'");
  }
  p.offset = *offset;
  STRATA_ASSIGN_OR_RETURN(p.gtid, Variable(client, "gtid_binlog_pos"));
  return p;
}

Result<BinlogPosition> OldestBinlogPosition(Client& client) {
  STRATA_ASSIGN_OR_RETURN(std::vector<TextRow> rows, client.Query("SHOW BINARY LOGS"));
  if (rows.empty() || rows[0].empty() || !rows[0][0]) {
    return Status::FailedPrecondition("mysql " + client.spec().host +
                                      ": SHOW BINARY LOGS is empty (is log_bin on?)");
  }
  BinlogPosition p;
  p.file = *rows[0][0];
  return p;  // offset 4: the first event after the magic number
}

Result<std::unique_ptr<BinlogStream>> BinlogStream::Open(const BinlogStreamOptions& options,
                                                         const BinlogPosition& start) {
  std::unique_ptr<BinlogStream> s(new BinlogStream());
  s->options_ = options;
  s->file_ = start.file;
  s->last_gtid_ = start.gtid;
  s->offset_ = start.offset;
  STRATA_ASSIGN_OR_RETURN(s->client_, Client::Connect(options.connection));
  STRATA_RETURN_IF_ERROR(CheckBinlogSettings(*s->client_));
  // Every event the server sends us (the artificial ROTATE and heartbeats included) ends with
  // a CRC32 when the server writes checksums.
  STRATA_ASSIGN_OR_RETURN(std::string checksum, Variable(*s->client_, "binlog_checksum"));
  s->checksum_bytes_ = checksum == "NONE" ? 0 : 4;
  // A replica must announce the checksum it understands and its capabilities (GTID events),
  // and asks for heartbeats so a blocked read wakes up while the source is idle.
  int64_t heartbeat_ns = int64_t{options.heartbeat_ms} * 1000000;
  STRATA_RETURN_IF_ERROR(s->client_->Execute(
      "SET @master_binlog_checksum = @@global.binlog_checksum, @mariadb_slave_capability = 4, "
      "@master_heartbeat_period = " +
      std::to_string(heartbeat_ns)));
  s->rpl_ = std::make_unique<Rpl>();
  s->rpl_->rpl = mariadb_rpl_init(s->client_->handle());
  if (s->rpl_->rpl == nullptr) return s->client_->LastError("mariadb_rpl_init");
  MARIADB_RPL* rpl = s->rpl_->rpl;
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_FILENAME, start.file.c_str(), start.file.size());
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_START, static_cast<unsigned long>(start.offset));
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_SERVER_ID, options.server_id);
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_FLAGS,
                       options.blocking ? 0 : MARIADB_RPL_BINLOG_DUMP_NON_BLOCK);
  if (mariadb_rpl_open(rpl) != 0) return DumpError(*s->client_, rpl, start);
  return s;
}

BinlogStream::~BinlogStream() = default;

Status BinlogStream::HandleRows(uint8_t type, std::string_view body, uint64_t event_offset) {
  STRATA_ASSIGN_OR_RETURN(uint64_t table_id, RowsEventTableId(body));
  auto map = maps_.find(table_id);
  if (map == maps_.end()) {
    return Status::Corruption("rows event at " + file_ + ":" + std::to_string(event_offset) +
                              " without its table map");
  }
  const TableMap& tm = map->second;
  if (tm.database != options_.connection.database || !options_.follows(tm.table)) {
    return Status::OK();
  }
  STRATA_ASSIGN_OR_RETURN(RowsEvent rows, ParseRowsEvent(type, body, tm));
  TableChanges& out = current_.tables[tm.table];
  out.columns = tm.columns;
  size_t index = 0;
  for (RowChange& row : rows.rows) {
    auto emit = [&](char op, std::vector<engine::Value> values) {
      out.changes.push_back({op, std::move(values), ChangePosition(file_, event_offset, index++)});
    };
    switch (row.op) {
      case RowOp::kInsert:
        emit('c', std::move(row.after));
        break;
      case RowOp::kDelete:
        emit('d', std::move(row.before));
        break;
      case RowOp::kUpdate:
        if (PrimaryKeyChanged(tm, row)) {
          emit('d', std::move(row.before));
          emit('c', std::move(row.after));
        } else {
          emit('u', std::move(row.after));
        }
        break;
    }
  }
  return Status::OK();
}

Result<StreamItem> BinlogStream::Next() {
  MARIADB_RPL* rpl = rpl_->rpl;
  while (true) {
    if (stop_.load()) return Status::Cancelled("binlog stream stopped");
    MARIADB_RPL_EVENT* ev = mariadb_rpl_fetch(rpl, rpl_->event);
    if (ev == nullptr) {
      rpl_->event = nullptr;
      if (mysql_errno(client_->handle()) == 0 && mariadb_rpl_errno(rpl) == 0 &&
          !options_.blocking) {
        StreamItem end;
        end.kind = StreamItem::kEnd;
        end.position = {file_, offset_, last_gtid_};
        return end;
      }
      return DumpError(*client_, rpl, {file_, offset_, last_gtid_});
    }
    rpl_->event = ev;
    // raw_data: an OK byte, the 19-byte header, the body, and a CRC32 when checksums are on.
    size_t checksum = checksum_bytes_;
    if (ev->raw_data_size < 1 + 19 + checksum) return Status::Corruption("short binlog event");
    std::string_view body(reinterpret_cast<const char*>(ev->raw_data) + 20,
                          ev->raw_data_size - 20 - checksum);
    uint8_t type = static_cast<uint8_t>(ev->event_type);
    uint64_t next = ev->next_event_pos;
    uint64_t offset = next >= ev->event_length ? next - ev->event_length : 0;
    switch (type) {
      case kRotateEvent: {
        STRATA_ASSIGN_OR_RETURN(RotateEvent rotate, ParseRotateEvent(body));
        file_ = rotate.file;
        offset_ = rotate.position;
        continue;
      }
      case kHeartbeatEvent:
        if (!in_transaction_ && options_.blocking) {
          StreamItem idle;
          idle.kind = StreamItem::kIdle;
          if (next > 0) offset_ = next;
          idle.position = {file_, offset_, last_gtid_};
          return idle;
        }
        break;
      case kMariaGtidEvent: {
        STRATA_ASSIGN_OR_RETURN(GtidEvent gtid, ParseGtidEvent(body));
        current_ = Transaction();
        current_.gtid = std::to_string(gtid.domain) + "-" + std::to_string(ev->server_id) + "-" +
                        std::to_string(gtid.sequence);
        in_transaction_ = true;  // ends with XID, COMMIT, or (standalone) its one QUERY
        break;
      }
      case kTableMapEvent: {
        STRATA_ASSIGN_OR_RETURN(TableMap map, ParseTableMap(body));
        maps_[map.table_id] = std::move(map);
        break;
      }
      case kWriteRowsV1:
      case kUpdateRowsV1:
      case kDeleteRowsV1:
      case kWriteRowsV2:
      case kUpdateRowsV2:
      case kDeleteRowsV2:
        STRATA_RETURN_IF_ERROR(HandleRows(type, body, offset));
        break;
      case kQueryEvent: {
        STRATA_ASSIGN_OR_RETURN(QueryEvent query, ParseQueryEvent(body));
        if (query.statement == "BEGIN") break;
        if (query.statement != "COMMIT") current_.ddl.push_back(query.statement);
        [[fallthrough]];
      }
      case kXidEvent: {
        if (!in_transaction_ && type == kXidEvent) break;
        in_transaction_ = false;
        last_gtid_ = current_.gtid.empty() ? last_gtid_ : current_.gtid;
        offset_ = next;
        current_.end = {file_, next, last_gtid_};
        current_.commit_micros = int64_t{ev->timestamp} * 1000000;
        StreamItem item;
        item.kind = StreamItem::kTransaction;
        item.transaction = std::move(current_);
        current_ = Transaction();
        return item;
      }
      default:
        if (type >= kWriteRowsCompressedV1 && type <= kDeleteRowsCompressed) {
          return Status::Unsupported(
              "compressed row events (log_bin_compress) are not supported: turn it off");
        }
        break;  // FORMAT_DESCRIPTION, GTID_LIST, BINLOG_CHECKPOINT, ANNOTATE_ROWS, ...
    }
    // Events between transactions move the resume point past them (artificial ones have 0).
    if (!in_transaction_ && next > 0 && type != kHeartbeatEvent) offset_ = next;
  }
}

}  // namespace strata::ingest::mysql
