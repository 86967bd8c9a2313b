// MysqlSource::Status: what `strata source status` shows, per table.
#include <signal.h>

#include <fstream>

#include "common/numbers.h"
#include "ingest/mysql/binlog_stream.h"
#include "ingest/mysql/snapshot.h"
#include "ingest/mysql/source.h"

namespace strata::ingest::mysql {
namespace {

bool ProcessAlive(int64_t pid) { return pid > 0 && kill(static_cast<pid_t>(pid), 0) == 0; }

// Bytes of binlog between `from` and the server's end, from SHOW BINARY LOGS.
int64_t LagBytes(Client& client, const BinlogPosition& from, const BinlogPosition& end) {
  if (from.file == end.file) {
    return end.offset >= from.offset ? static_cast<int64_t>(end.offset - from.offset) : 0;
  }
  Result<std::vector<TextRow>> logs = client.Query("SHOW BINARY LOGS");
  if (!logs.ok()) return -1;
  int64_t bytes = 0;
  bool counting = false;
  for (const TextRow& r : *logs) {
    if (!r[0] || !r[1]) continue;
    int64_t size = ParseInteger<int64_t>(*r[1]).value_or(0);
    if (*r[0] == from.file) {
      counting = true;
      bytes += size - static_cast<int64_t>(from.offset);
    } else if (*r[0] == end.file) {
      bytes += static_cast<int64_t>(end.offset);
      break;
    } else if (counting) {
      bytes += size;
    }
  }
  return counting ? bytes : -1;
}

}  // namespace

Result<std::vector<TableStatus>> MysqlSource::TableStatuses() {
  nlohmann::json follower = nlohmann::json::object();
  if (!state_dir_.empty()) {
    std::ifstream in(state_dir_ + "/" + spec_.name + ".json");
    if (in) follower = nlohmann::json::parse(in, nullptr, false);
    if (!follower.is_object()) follower = nlohmann::json::object();
  }
  bool following =
      follower.value("state", "") == "following" && ProcessAlive(follower.value("pid", int64_t{0}));
  std::string follower_error = follower.value("error", "");
  // The server is optional: status still reports what bronze holds when it is down.
  std::unique_ptr<Client> client;
  std::optional<BinlogPosition> server;
  std::string server_error;
  Result<std::unique_ptr<Client>> connected = Client::Connect(spec_.connection);
  std::vector<std::string> names = spec_.tables;
  if (connected.ok()) {
    client = std::move(*connected);
    Result<BinlogPosition> current = CurrentPosition(*client);
    if (current.ok()) server = *current;
    Result<std::vector<std::string>> resolved = ResolveTables(*client);
    if (resolved.ok()) names = *resolved;
  } else {
    server_error = connected.status().message();
  }
  std::vector<TableStatus> out;
  // The follower's error first (it is why nothing moves), then the server's.
  auto add = [&](TableStatus& row) {
    if (!follower_error.empty()) {
      row.state = "error";
      row.error = follower_error;
    }
    if (!server_error.empty() && row.error.empty()) row.error = server_error;
    out.push_back(std::move(row));
  };
  for (const std::string& name : names) {
    TableStatus s;
    s.table = name;
    lake::TableName bronze = spec_.BronzeTable(name);
    s.bronze = bronze.ToString();
    Result<delta::Snapshot> snap = delta::LoadSnapshot(lake_.store(), lake_.TableRoot(bronze));
    if (!snap.ok()) {
      s.state = snap.status().IsNotFound() ? "new" : "error";
      if (!snap.status().IsNotFound()) s.error = snap.status().message();
      add(s);
      continue;
    }
    for (const delta::AddFile& f : snap->files) {
      nlohmann::json stats = nlohmann::json::parse(f.stats.value_or("{}"), nullptr, false);
      if (stats.is_object()) s.rows += stats.value("numRecords", int64_t{0});
    }
    if (!snap->commits.empty()) s.last_commit_ms = snap->commits.back().timestamp_millis;
    Result<SnapshotState> st = LoadSnapshotState(lake_, spec_, name);
    std::optional<int64_t> version = snap->AppVersion(StreamAppId(spec_.name, name));
    std::string base = server ? server->file.substr(0, server->file.rfind('.')) : "binlog";
    BinlogPosition at;
    if (version) at = BinlogPosition::FromVersion(*version, base);
    if (st.ok() && !st->stream_from.empty() && (at.empty() || Before(at, st->stream_from))) {
      at = st->stream_from;  // a snapshot (again, after a lost position) after the last change
    }
    s.position = at.empty() ? "" : at.file + ":" + std::to_string(at.offset);
    if (st.ok() && !st->done) {
      int64_t chunks = std::max<int64_t>(
          1, (st->rows + spec_.snapshot_chunk_rows - 1) / spec_.snapshot_chunk_rows);
      s.state = std::string(st->resnapshot ? "snapshotting again " : "snapshotting ") +
                std::to_string(st->chunks - st->first_chunk) + "/" + std::to_string(chunks);
    } else {
      s.state = following ? "following" : "stopped";
    }
    if (server && !at.empty() && client) {
      s.lag_bytes = LagBytes(*client, at, *server);
      s.lag_seconds = s.lag_bytes == 0
                          ? 0.0
                          : static_cast<double>(NowMicros() / 1000 - s.last_commit_ms) / 1000.0;
    }
    add(s);
  }
  return out;
}

}  // namespace strata::ingest::mysql
