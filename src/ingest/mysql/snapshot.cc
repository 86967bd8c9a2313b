// GCC 12 reports a false -Wmaybe-uninitialized when a std::variant engine::Value is moved into
// a Result (GCC bugs 105562, 107919).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "ingest/mysql/snapshot.h"

#include <chrono>

#include "common/numbers.h"

namespace strata::ingest::mysql {
namespace {

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// A MySQL literal for a key value read as text: numbers and dates as quoted text (MySQL
// converts), strings through their bytes with the column's character set.
std::string KeyLiteral(const Column& c, const std::string& hex) {
  if (c.kind == ColumnKind::kText || c.kind == ColumnKind::kEnum || c.kind == ColumnKind::kSet) {
    return hex.empty() ? "_utf8mb4''" : "_utf8mb4 X'" + hex + "'";
  }
  if (c.kind == ColumnKind::kBinary) return "X'" + hex + "'";
  std::string text;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    text += static_cast<char>(ParseInteger<int>(hex.substr(i, 2), 16).value_or(0));
  }
  return QuoteString(text);
}

// information_schema counts; a NULL (or, defensively, anything non-numeric) counts as 0.
int64_t ToInt(const std::optional<std::string>& text) {
  return text ? ParseInteger<int64_t>(*text).value_or(0) : 0;
}

Result<BinlogPosition> SnapshotBinlogPosition(Client& client) {
  STRATA_ASSIGN_OR_RETURN(std::vector<TextRow> rows,
                          client.Query("SHOW STATUS LIKE 'binlog_snapshot_%'"));
  BinlogPosition p;
  for (const TextRow& row : rows) {
    if (row.size() < 2 || !row[0] || !row[1]) continue;
    if (*row[0] == "Binlog_snapshot_file") p.file = *row[1];
    if (*row[0] == "Binlog_snapshot_position") {
      p.offset = ParseInteger<uint64_t>(*row[1]).value_or(0);
    }
  }
  if (p.file.empty()) {
    return Status::FailedPrecondition("mysql " + client.spec().host +
                                      ": no binlog snapshot position (is log_bin on?)");
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<TextRow> gtid, client.Query("SELECT @@gtid_binlog_pos"));
  if (!gtid.empty() && gtid[0][0]) p.gtid = *gtid[0][0];
  return p;
}

std::string ChunkMetadata(const MysqlSourceSpec& spec, const SnapshotState& state,
                          const std::string& table, const BinlogPosition& at) {
  nlohmann::json meta = {{"source", spec.name},     {"kind", "snapshot"},
                         {"table", table},          {"chunk", state.chunks},
                         {"rows", state.rows},      {"after_key", state.after_key},
                         {"position", at.ToJson()}, {"stream_from", state.stream_from.ToJson()},
                         {"done", state.done}};
  if (state.resnapshot) {
    meta["resnapshot"] = true;
    meta["first_chunk"] = state.first_chunk;
  }
  return meta.dump();
}

}  // namespace

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<SourceTable> DescribeTable(Client& client, const std::string& table) {
  std::string db = QuoteString(client.spec().database);
  std::string name = QuoteString(table);
  STRATA_ASSIGN_OR_RETURN(
      std::vector<TextRow> rows,
      client.Query("SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, "
                   "NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_SET_NAME, "
                   "CHARACTER_OCTET_LENGTH, COLUMN_KEY FROM information_schema.COLUMNS WHERE "
                   "TABLE_SCHEMA = " +
                   db + " AND TABLE_NAME = " + name + " ORDER BY ORDINAL_POSITION"));
  std::string where = client.spec().database + "." + table;
  if (rows.empty()) {
    return Status::NotFound("table " + where + " does not exist on mysql " + client.spec().host +
                            ":" + std::to_string(client.spec().port));
  }
  SourceTable t;
  t.name = table;
  for (const TextRow& r : rows) {
    STRATA_ASSIGN_OR_RETURN(
        Column c,
        ColumnFromSchema(where, r[0].value_or(""), r[1].value_or(""), r[2].value_or(""),
                         ToInt(r[3]), ToInt(r[4]), ToInt(r[5]), r[6].value_or(""), ToInt(r[7])));
    t.columns.push_back(std::move(c));
  }
  STRATA_ASSIGN_OR_RETURN(
      std::vector<TextRow> keys,
      client.Query("SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE "
                   "CONSTRAINT_NAME = 'PRIMARY' AND TABLE_SCHEMA = " +
                   db + " AND TABLE_NAME = " + name + " ORDER BY ORDINAL_POSITION"));
  for (const TextRow& k : keys) {
    for (size_t i = 0; i < t.columns.size(); ++i) {
      if (k[0] && t.columns[i].name == *k[0]) t.key.push_back(i);
    }
  }
  if (t.key.empty()) {
    return Status::FailedPrecondition(
        "table " + where +
        " has no primary key: change data capture needs one to order the snapshot and to "
        "identify rows (add a primary key, or leave the table out of the source)");
  }
  STRATA_ASSIGN_OR_RETURN(
      std::vector<TextRow> estimate,
      client.Query("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + db +
                   " AND TABLE_NAME = " + name));
  if (!estimate.empty()) t.estimated_rows = ToInt(estimate[0][0]);
  return t;
}

Result<SnapshotState> LoadSnapshotState(const lake::Lake& lake, const MysqlSourceSpec& spec,
                                        const std::string& table) {
  SnapshotState state;
  STRATA_ASSIGN_OR_RETURN(std::optional<nlohmann::json> meta,
                          LatestSourceMetadata(lake, spec.BronzeTable(table), spec.name));
  if (!meta) return state;
  state.started = true;
  const nlohmann::json& m = *meta;
  if (m.value("kind", "") != "snapshot") {
    state.done = true;
    return state;
  }
  state.done = m.value("done", false);
  state.resnapshot = m.value("resnapshot", false);
  state.first_chunk = m.value("first_chunk", int64_t{0});
  state.chunks = m.value("chunk", int64_t{0});
  state.rows = m.value("rows", int64_t{0});
  if (m.contains("after_key")) state.after_key = m["after_key"];
  if (m.contains("stream_from")) {
    STRATA_ASSIGN_OR_RETURN(state.stream_from, BinlogPosition::FromJson(m["stream_from"]));
  }
  return state;
}

namespace {

// Reads the chunk after `after_key` (all rows if limit is INT64_MAX) as snapshot rows at `at`;
// sets `last_key` to the hex of the last row's key (unchanged if there is none).
Result<std::vector<BronzeRow>> ReadChunk(Client& client, const SourceTable& t,
                                         const nlohmann::json& after_key, int64_t limit,
                                         const BinlogPosition& at, int64_t source_micros,
                                         nlohmann::json& last_key) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < t.columns.size(); ++i) {
    sql += (i ? ", " : "") + SelectExpression(t.columns[i]);
  }
  std::string key_list;
  for (size_t k : t.key) key_list += (key_list.empty() ? "" : ", ") + QuoteName(t.columns[k].name);
  sql += " FROM " + QuoteName(t.name);
  if (!after_key.empty()) {
    std::string after;
    for (size_t k = 0; k < t.key.size(); ++k) {
      after += (k ? ", " : "") + KeyLiteral(t.columns[t.key[k]], after_key[k].get<std::string>());
    }
    sql += " WHERE (" + key_list + ") > (" + after + ")";
  }
  sql += " ORDER BY " + key_list;
  if (limit != INT64_MAX) sql += " LIMIT " + std::to_string(limit);
  std::vector<BronzeRow> rows;
  std::string position = SnapshotPosition(at);
  STRATA_RETURN_IF_ERROR(client.Stream(
      sql, [&](const char* const* values, const unsigned long* lengths, unsigned count) {
        BronzeRow row;
        row.op = 'r';
        row.position = position;
        row.source_micros = source_micros;
        row.values.reserve(count);
        for (unsigned i = 0; i < count; ++i) {
          if (values[i] == nullptr) {
            row.values.emplace_back();
            continue;
          }
          Result<engine::Value> v = FromText(t.columns[i], std::string_view(values[i], lengths[i]));
          if (!v.ok()) return v.status().WithContext("table " + t.name);
          row.values.push_back(std::move(*v));
        }
        last_key = nlohmann::json::array();
        for (size_t k : t.key) last_key.push_back(Hex(std::string_view(values[k], lengths[k])));
        rows.push_back(std::move(row));
        return Status::OK();
      }));
  return rows;
}

}  // namespace

Status SnapshotTable(const MysqlSourceSpec& spec, BronzeWriter& writer, SnapshotState& state,
                     const std::string& table, const std::atomic<bool>* stop,
                     const ProgressFn& progress) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Client::Connect(spec.connection));
  STRATA_RETURN_IF_ERROR(
      client->Execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
  STRATA_RETURN_IF_ERROR(client->Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT"));
  Result<BinlogPosition> snapshot_at = SnapshotBinlogPosition(*client);
  if (!snapshot_at.ok() && spec.cdc) return snapshot_at.status();
  BinlogPosition at = snapshot_at.ok() ? *snapshot_at : BinlogPosition{};  // copies need no binlog
  STRATA_ASSIGN_OR_RETURN(SourceTable t, DescribeTable(*client, table));
  if (!spec.cdc) state = SnapshotState();  // a full copy each time
  if (state.stream_from.empty()) state.stream_from = at;
  int64_t limit = spec.cdc ? spec.snapshot_chunk_rows : INT64_MAX;
  int64_t source_micros = NowMicros();
  for (bool done = false; !done;) {
    if (stop != nullptr && stop->load()) {
      return Status::Cancelled("snapshot of " + table + " stopped");
    }
    nlohmann::json last_key = state.after_key;
    STRATA_ASSIGN_OR_RETURN(
        std::vector<BronzeRow> rows,
        ReadChunk(*client, t, state.after_key, limit, at, source_micros, last_key));
    done = static_cast<int64_t>(rows.size()) < limit;
    // A resnapshot ends with a commit of its deletes (done) after its last rows.
    bool deletes_next = done && state.resnapshot;
    if (!deletes_next || !rows.empty()) {
      state.chunks += 1;
      state.rows += static_cast<int64_t>(rows.size());
      state.after_key = last_key;
      state.done = done && !deletes_next;
      delta::SetTransaction txn{SnapshotAppId(spec.name, table), state.chunks, std::nullopt};
      if (!spec.cdc) txn.version = NowMicros();  // each full copy is a new version
      STRATA_RETURN_IF_ERROR(writer
                                 .Commit(t.columns, rows, txn,
                                         ChunkMetadata(spec, state, table, at), NowMicros(),
                                         /*overwrite=*/!spec.cdc)
                                 .status());
    }
    if (deletes_next) {
      state.chunks += 1;
      state.done = true;
      std::vector<std::string> key;
      for (size_t k : t.key) key.push_back(t.columns[k].name);
      delta::SetTransaction txn{SnapshotAppId(spec.name, table), state.chunks, std::nullopt};
      STRATA_ASSIGN_OR_RETURN(
          state.deleted,
          writer.CommitDeletesBefore(key, SnapshotPosition(state.stream_from), txn,
                                     ChunkMetadata(spec, state, table, at), NowMicros()));
    }
    if (progress) progress({table, "snapshot", state.rows, t.estimated_rows, at.ToString()});
  }
  return client->Execute("COMMIT");
}

}  // namespace strata::ingest::mysql
