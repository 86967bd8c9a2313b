#include "ingest/mysql/source.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "common/logging.h"
#include "ingest/landing.h"
#include "ingest/mysql/binlog_stream.h"
#include "ingest/mysql/snapshot.h"

namespace strata::ingest::mysql {

std::string StreamAppId(const std::string& source, const std::string& table) {
  return "strata-mysql:" + source + "/" + table;
}
std::string SnapshotAppId(const std::string& source, const std::string& table) {
  return "strata-mysql-snapshot:" + source + "/" + table;
}

lake::TableName MysqlSourceSpec::BronzeTable(const std::string& table) const {
  std::string name = bronze;
  for (auto [key, value] : {std::pair<std::string, std::string>{"{table}", table},
                            std::pair<std::string, std::string>{"{source}", this->name}}) {
    for (size_t at = name.find(key); at != std::string::npos; at = name.find(key)) {
      name.replace(at, key.size(), value);
    }
  }
  return {layer, name};
}

namespace {

// The state file: the position every table has passed, and who follows.
struct StateFile {
  std::string path;
  Result<std::optional<BinlogPosition>> ReadPosition() const {
    if (path.empty()) return std::optional<BinlogPosition>();
    std::ifstream in(path);
    if (!in) return std::optional<BinlogPosition>();
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_object() || !j.contains("position")) return std::optional<BinlogPosition>();
    Result<BinlogPosition> p = BinlogPosition::FromJson(j["position"]);
    if (!p.ok()) return std::optional<BinlogPosition>();
    return std::optional<BinlogPosition>(*p);
  }
  nlohmann::json Read() const {
    std::ifstream in(path);
    if (!in) return nlohmann::json::object();
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    return j.is_object() ? j : nlohmann::json::object();
  }
  void Write(const BinlogPosition& position, const std::string& state,
             const std::string& error = "") const {
    if (path.empty()) return;
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    nlohmann::json j = {{"position", position.ToJson()},
                        {"state", state},
                        {"pid", static_cast<int64_t>(getpid())},
                        {"updated_ms", NowMicros() / 1000}};
    if (!error.empty()) j["error"] = error;
    std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << j.dump() << "\n";
    }
    std::filesystem::rename(tmp, path, ec);
  }
};

struct TableRun {
  std::string name;
  std::unique_ptr<BronzeWriter> writer;
  int64_t start_version = 0;  // transactions ending at or before it are in bronze
  std::vector<Column> columns;
  std::vector<BronzeRow> pending;
  int64_t rows_committed = 0;
};

uint32_t DefaultServerId(const std::string& name) {
  uint32_t h = 2166136261u;
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  return 100000 + h % 1000000000u;  // away from the small ids people give real replicas
}

}  // namespace

struct MysqlSource::Impl {
  Impl(MysqlSource& source, const std::atomic<bool>* stop_flag, const ProgressFn& progress_fn)
      : self(source),
        stop(stop_flag),
        progress(progress_fn),
        state{source.state_dir_.empty() ? ""
                                        : source.state_dir_ + "/" + source.spec_.name + ".json"} {}

  MysqlSource& self;
  const std::atomic<bool>* stop;
  const ProgressFn& progress;
  StateFile state;
  std::vector<TableRun> tables;
  SyncReport report;
  BinlogPosition batch_end;
  int64_t batch_transactions = 0;
  int64_t batch_rows = 0;
  int64_t oldest_pending_micros = 0;  // source commit time of the oldest pending transaction
  int64_t batch_started = 0;
  std::optional<Status> lost;  // the stream's start position is no longer on the server

  bool Stopped() const { return stop != nullptr && stop->load(); }

  // Snapshots (or resumes the snapshot of) `t` from `snap`, counting this run's rows.
  Status RunSnapshot(TableRun& t, SnapshotState& snap) {
    SnapshotState before = self.spec_.cdc ? snap : SnapshotState();
    STRATA_RETURN_IF_ERROR(SnapshotTable(self.spec_, *t.writer, snap, t.name, stop, progress));
    report.snapshot_rows += snap.rows - before.rows;  // this run's rows, not a resumed total
    report.commits += snap.chunks - before.chunks;
    if (snap.resnapshot) {
      report.resnapshotted.push_back(t.name);
      Log().warn("source {}: table {} snapshotted again at {}: {} rows, {} deleted keys",
                 self.spec_.name, t.name, snap.stream_from.ToString(), snap.rows, snap.deleted);
    }
    return Status::OK();
  }

  Status Prepare(Client& client) {
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, self.ResolveTables(client));
    for (const std::string& name : names) {
      TableRun t;
      t.name = name;
      t.writer =
          std::make_unique<BronzeWriter>(self.lake_, self.conn_, self.spec_.BronzeTable(name));
      STRATA_ASSIGN_OR_RETURN(SnapshotState snap, LoadSnapshotState(self.lake_, self.spec_, name));
      if (!self.spec_.cdc || !snap.done) STRATA_RETURN_IF_ERROR(RunSnapshot(t, snap));
      if (!self.spec_.cdc) continue;
      // From the last streamed transaction, or from the position of a later (re)snapshot.
      STRATA_ASSIGN_OR_RETURN(std::optional<delta::Snapshot> bronze, t.writer->Load());
      std::optional<int64_t> version;
      if (bronze) version = bronze->AppVersion(StreamAppId(self.spec_.name, name));
      if (!version || !snap.stream_from.empty()) {
        STRATA_ASSIGN_OR_RETURN(int64_t from, snap.stream_from.Version());
        version = std::max(version.value_or(from), from);
      }
      t.start_version = *version;
      tables.push_back(std::move(t));
    }
    return Status::OK();
  }

  Result<BinlogPosition> StartPosition(const std::string& base) {
    int64_t start = INT64_MAX;
    for (const TableRun& t : tables) start = std::min(start, t.start_version);
    BinlogPosition from = BinlogPosition::FromVersion(start, base);
    STRATA_ASSIGN_OR_RETURN(std::optional<BinlogPosition> passed, state.ReadPosition());
    if (passed && Before(from, *passed)) from = *passed;
    return from;
  }

  TableRun* Find(const std::string& name) {
    for (TableRun& t : tables) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }

  Status CommitTable(TableRun& t, const BinlogPosition& end) {
    if (t.pending.empty()) return Status::OK();
    STRATA_ASSIGN_OR_RETURN(int64_t version, end.Version());
    nlohmann::json meta = {{"source", self.spec_.name},
                           {"kind", "stream"},
                           {"table", t.name},
                           {"position", end.ToJson()},
                           {"rows", static_cast<int64_t>(t.pending.size())}};
    delta::SetTransaction txn{StreamAppId(self.spec_.name, t.name), version, std::nullopt};
    STRATA_ASSIGN_OR_RETURN(delta::CommitResult done,
                            t.writer->Commit(t.columns, t.pending, txn, meta.dump(), NowMicros()));
    (void)done;
    report.change_rows += static_cast<int64_t>(t.pending.size());
    report.commits += 1;
    t.rows_committed += static_cast<int64_t>(t.pending.size());
    t.pending.clear();
    t.start_version = version;
    if (progress) progress({t.name, "stream", t.rows_committed, 0, end.ToString()});
    return Status::OK();
  }

  // Commits every table's complete transactions read so far, then records the position.
  Status Flush() {
    if (batch_end.empty()) return Status::OK();
    for (TableRun& t : tables) STRATA_RETURN_IF_ERROR(CommitTable(t, batch_end));
    if (oldest_pending_micros > 0) {
      double lag = static_cast<double>(NowMicros() - oldest_pending_micros) / 1e6;
      report.max_lag_seconds = std::max(report.max_lag_seconds, lag);
    }
    report.transactions += batch_transactions;
    report.position = batch_end;
    state.Write(batch_end, "following");
    batch_transactions = batch_rows = oldest_pending_micros = batch_started = 0;
    return Status::OK();
  }

  Status Add(Transaction& tx) {
    STRATA_ASSIGN_OR_RETURN(int64_t version, tx.end.Version());
    for (auto& [name, changes] : tx.tables) {
      TableRun* t = Find(name);
      if (t == nullptr || version <= t->start_version) continue;  // already in bronze
      bool same = t->columns.size() == changes.columns.size();
      for (size_t i = 0; same && i < changes.columns.size(); ++i) {
        same = t->columns[i].name == changes.columns[i].name &&
               BronzeType(t->columns[i]) == BronzeType(changes.columns[i]);
      }
      if (!same) {
        // A schema change: rows of the old shape go in their own commit first.
        STRATA_RETURN_IF_ERROR(CommitTable(*t, batch_end));
        t->columns = changes.columns;
      }
      for (Change& c : changes.changes) {
        t->pending.push_back(
            {c.op, std::move(c.row), std::move(c.position), tx.commit_micros, tx.gtid});
        ++batch_rows;
      }
    }
    if (batch_transactions == 0) batch_started = NowMicros();
    if (oldest_pending_micros == 0 && tx.rows() > 0) oldest_pending_micros = tx.commit_micros;
    ++batch_transactions;
    batch_end = tx.end;
    return Status::OK();
  }

  bool BatchDue() const {
    if (batch_transactions == 0) return false;
    return batch_rows >= self.spec_.commit_rows ||
           NowMicros() - batch_started >= self.spec_.commit_interval_ms * 1000;
  }

  // Streams; when the binlog no longer has the start position, snapshots the tables that lost
  // theirs again (on_lost_position: resnapshot) and streams on, else fails saying so.
  Status Stream(bool blocking) {
    for (int round = 0;; ++round) {
      lost.reset();
      Status streamed = StreamOnce(blocking);
      if (!lost) return streamed;
      if (round == 2) {  // purged again at once: do not loop
        return Status::FailedPrecondition(
            "source " + self.spec_.name + ": " + lost->message() +
            ", again after snapshotting the tables again: the server purges its binlog faster "
            "than it is read (keep binlogs longer: binlog_expire_logs_seconds)");
      }
      STRATA_RETURN_IF_ERROR(RecoverLostPosition(*lost));
    }
  }

  Status RecoverLostPosition(const Status& cause) {
    const std::string& source = self.spec_.name;
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Client::Connect(self.spec_.connection));
    STRATA_ASSIGN_OR_RETURN(BinlogPosition current, CurrentPosition(*client));
    STRATA_ASSIGN_OR_RETURN(BinlogPosition oldest, OldestBinlogPosition(*client));
    STRATA_ASSIGN_OR_RETURN(std::optional<BinlogPosition> passed, state.ReadPosition());
    std::string base = current.file.substr(0, current.file.rfind('.'));
    std::vector<TableRun*> affected;
    std::string names;
    for (TableRun& t : tables) {
      BinlogPosition at = BinlogPosition::FromVersion(t.start_version, base);
      if (passed && Before(at, *passed)) at = *passed;
      if (!Before(at, oldest)) continue;
      if (Before(current, at)) {
        return Status::FailedPrecondition(
            "source " + source + ": the server's binlog is at " + current.ToString() +
            ", before position " + at.ToString() + " that bronze holds for table " + t.name +
            " (was the binlog reset?): drop the source's bronze tables and sync again");
      }
      affected.push_back(&t);
      names += (names.empty() ? "" : ", ") + t.name;
    }
    if (affected.empty()) {
      return cause.WithContext("source " + source + " (the server refuses a position it lists)");
    }
    if (!self.spec_.resnapshot_on_lost_position) {
      return Status::FailedPrecondition(
          "source " + source + ": " + cause.message() + "; tables " + names +
          " cannot catch up (the changes they miss are gone): set `on_lost_position: "
          "resnapshot` on source " +
          source + " to snapshot them again (or drop their bronze tables and sync)");
    }
    Log().warn("source {}: {}; snapshotting tables {} again (on_lost_position: resnapshot)", source,
               cause.message(), names);
    for (TableRun* t : affected) {
      STRATA_ASSIGN_OR_RETURN(std::optional<delta::Snapshot> bronze, t->writer->Load());
      SnapshotState snap;
      snap.started = snap.resnapshot = true;
      if (bronze) {
        snap.chunks = bronze->AppVersion(SnapshotAppId(source, t->name)).value_or(0);
      }
      snap.first_chunk = snap.chunks;
      STRATA_RETURN_IF_ERROR(RunSnapshot(*t, snap));
      STRATA_ASSIGN_OR_RETURN(t->start_version, snap.stream_from.Version());
    }
    return Status::OK();
  }

  Status StreamOnce(bool blocking) {
    if (tables.empty()) return Status::OK();
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Client::Connect(self.spec_.connection));
    STRATA_ASSIGN_OR_RETURN(BinlogPosition current, CurrentPosition(*client));
    std::string base = current.file.substr(0, current.file.rfind('.'));
    STRATA_ASSIGN_OR_RETURN(BinlogPosition from, StartPosition(base));
    BinlogStreamOptions options;
    options.connection = self.spec_.connection;
    // A catch-up read uses the next id, so it does not disconnect a running follower (the
    // server drops an older replica connection with the same id).
    options.server_id =
        (self.spec_.server_id != 0 ? self.spec_.server_id : DefaultServerId(self.spec_.name)) +
        (blocking ? 0 : 1);
    options.blocking = blocking;
    options.follows = [this](const std::string& table) { return Find(table) != nullptr; };
    // A purged binlog (NotFound) is reported when the dump starts or at its first read.
    auto failed = [this](const Status& s) {
      if (s.IsNotFound()) lost = s;
      return s.WithContext("source " + self.spec_.name);
    };
    Result<std::unique_ptr<BinlogStream>> opened = BinlogStream::Open(options, from);
    if (!opened.ok()) return failed(opened.status());
    std::unique_ptr<BinlogStream> stream = std::move(*opened);
    report.position = from;
    if (blocking) state.Write(from, "following");  // reading again: a past error is over
    while (!Stopped()) {
      Result<StreamItem> item = stream->Next();
      if (!item.ok() && Stopped()) break;  // a stop signal interrupted the read
      if (!item.ok()) {
        Status flushed = Flush();  // what is complete is kept
        (void)flushed;
        return failed(item.status());
      }
      if (item->kind == StreamItem::kTransaction) {
        STRATA_RETURN_IF_ERROR(Add(item->transaction));
        if (BatchDue()) STRATA_RETURN_IF_ERROR(Flush());
        continue;
      }
      STRATA_RETURN_IF_ERROR(Flush());
      if (item->kind == StreamItem::kEnd) {
        if (Before(report.position, item->position)) report.position = item->position;
        state.Write(report.position, blocking ? "following" : "stopped");
        break;
      }
      if (Before(report.position, item->position)) {  // idle: everything read is committed
        report.position = item->position;
        state.Write(report.position, "following");
      }
    }
    STRATA_RETURN_IF_ERROR(Flush());
    if (blocking) state.Write(report.position, "stopped");
    return Status::OK();
  }
};

MysqlSource::MysqlSource(const lake::Lake& lake, engine::Connection& conn, MysqlSourceSpec spec,
                         std::string state_dir)
    : lake_(lake), conn_(conn), spec_(std::move(spec)), state_dir_(std::move(state_dir)) {}

Result<std::vector<std::string>> MysqlSource::ResolveTables(Client& client) const {
  STRATA_ASSIGN_OR_RETURN(
      std::vector<TextRow> rows,
      client.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
                   QuoteString(spec_.connection.database) +
                   " AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"));
  std::vector<std::string> existing;
  for (const TextRow& r : rows) {
    if (r[0]) existing.push_back(*r[0]);
  }
  std::vector<std::string> out;
  if (!spec_.tables.empty()) {
    for (const std::string& t : spec_.tables) {
      if (std::find(existing.begin(), existing.end(), t) == existing.end()) {
        return Status::NotFound("source " + spec_.name + ": table " + t + " does not exist in " +
                                spec_.connection.Describe());
      }
      out.push_back(t);
    }
    return out;
  }
  for (const std::string& t : existing) {
    bool in = spec_.include.empty();
    for (const std::string& g : spec_.include) in = in || GlobMatch(g, t);
    for (const std::string& g : spec_.exclude) in = in && !GlobMatch(g, t);
    if (in) out.push_back(t);
  }
  return out;
}

Result<SyncReport> MysqlSource::Sync(const std::atomic<bool>* stop, const ProgressFn& progress) {
  Impl impl(*this, stop, progress);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Client::Connect(spec_.connection));
  if (spec_.cdc) STRATA_RETURN_IF_ERROR(CheckBinlogSettings(*client));
  STRATA_RETURN_IF_ERROR(impl.Prepare(*client));
  if (spec_.cdc) STRATA_RETURN_IF_ERROR(impl.Stream(false));
  return impl.report;
}

Result<SyncReport> MysqlSource::Follow(const std::atomic<bool>& stop, const ProgressFn& progress) {
  if (!spec_.cdc) {
    return Status::InvalidArgument("source " + spec_.name +
                                   " has mode snapshot: there is nothing to follow");
  }
  Impl impl(*this, &stop, progress);
  // Any failure is recorded in the state file (`source status`, `GET /api/sources`), keeping
  // the position the file held when this run got no further.
  auto failed = [&impl](const Status& error) {
    BinlogPosition at = impl.report.position;
    if (at.empty()) {
      Result<std::optional<BinlogPosition>> passed = impl.state.ReadPosition();
      if (passed.ok() && *passed) at = **passed;
    }
    impl.state.Write(at, "error", error.message());
    return error;
  };
  Result<std::unique_ptr<Client>> client = Client::Connect(spec_.connection);
  if (!client.ok()) return failed(client.status().WithContext("source " + spec_.name));
  if (Status s = CheckBinlogSettings(**client); !s.ok()) return failed(s);
  Status prepared = impl.Prepare(**client);
  if (!prepared.ok() && stop.load()) return impl.report;  // stopped during a snapshot: kept
  if (!prepared.ok()) return failed(prepared);
  Status streamed = impl.Stream(true);
  if (!streamed.ok() && !(streamed.code() == StatusCode::kCancelled && stop.load())) {
    return failed(streamed);
  }
  return impl.report;
}

}  // namespace strata::ingest::mysql
