#include "ingest/mysql/bronze.h"

#include <atomic>

#include "storage/delta/scan.h"
#include "storage/delta/write_schema.h"

namespace strata::ingest::mysql {
namespace {

using engine::QuoteIdentifier;

std::string StageName() {
  static std::atomic<int> counter{0};
  return "__strata_cdc_stage_" + std::to_string(counter++);
}

// Drops the stage table when the write is done, whatever its outcome.
struct DropOnExit {
  engine::Connection& conn;
  std::string name;
  ~DropOnExit() { (void)conn.Execute("DROP TABLE IF EXISTS " + name); }
};

}  // namespace

BronzeWriter::BronzeWriter(const lake::Lake& lake, engine::Connection& conn, lake::TableName table)
    : store_(lake.shared_store()),
      conn_(conn),
      table_(std::move(table)),
      delta_(lake.shared_store(), lake.TableRoot(table_), conn),
      stage_(StageName()) {}

Result<std::optional<delta::Snapshot>> BronzeWriter::Load() {
  Result<delta::Snapshot> snap = delta_.Load();
  if (snap.ok()) return std::optional<delta::Snapshot>(std::move(*snap));
  if (snap.status().IsNotFound()) return std::optional<delta::Snapshot>();
  return snap.status();
}

Result<delta::CommitResult> BronzeWriter::Commit(const std::vector<Column>& columns,
                                                 const std::vector<BronzeRow>& rows,
                                                 const delta::SetTransaction& txn,
                                                 const std::string& user_metadata,
                                                 int64_t ingested_micros, bool overwrite) {
  std::string create = "CREATE OR REPLACE TEMP TABLE " + stage_ + " (";
  std::string select = "SELECT ";
  for (const Column& c : columns) {
    create += QuoteIdentifier(c.name) + " " + BronzeType(c) + ", ";
    select += QuoteIdentifier(c.name) + ", ";
  }
  create += "_op VARCHAR, _position VARCHAR, _source_us BIGINT, _tx VARCHAR)";
  select +=
      "_op, _position, CAST(make_timestamp(_source_us) AS TIMESTAMPTZ) AS _source_ts, _tx, "
      "CAST(make_timestamp(" +
      std::to_string(ingested_micros) + ") AS TIMESTAMPTZ) AS _ingested_at FROM " + stage_;
  STRATA_RETURN_IF_ERROR(conn_.Execute(create));
  DropOnExit drop{conn_, stage_};
  {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Appender> appender,
                            conn_.CreateAppender("", stage_));
    for (const BronzeRow& row : rows) {
      if (row.values.size() != columns.size()) {
        return Status::Internal("bronze row has " + std::to_string(row.values.size()) +
                                " values for " + std::to_string(columns.size()) + " columns");
      }
      for (const engine::Value& v : row.values) STRATA_RETURN_IF_ERROR(appender->Append(v));
      STRATA_RETURN_IF_ERROR(appender->Append(std::string(1, row.op)));
      STRATA_RETURN_IF_ERROR(appender->Append(row.position));
      STRATA_RETURN_IF_ERROR(appender->Append(row.source_micros));
      STRATA_RETURN_IF_ERROR(appender->Append(row.tx));
      STRATA_RETURN_IF_ERROR(appender->EndRow());
    }
    Status closed = appender->Close();
    if (!closed.ok()) return closed.WithContext("table " + table_.ToString());
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<delta::Snapshot> snap, Load());
  if (!snap) {
    STRATA_ASSIGN_OR_RETURN(auto result, conn_.Query(select + " LIMIT 0"));
    delta::CreateOptions options;
    STRATA_ASSIGN_OR_RETURN(options.schema,
                            delta::SchemaFromColumns(result->columns(), table_.ToString()));
    options.name = table_.ToString();
    options.if_exists = delta::CreateOptions::IfExists::kIgnore;
    STRATA_RETURN_IF_ERROR(delta_.Create(options).status());
  }
  delta::WriteOptions write;
  write.evolve_schema = true;
  write.txn = txn;
  write.user_metadata = user_metadata;
  write.conflict_retries = 5;
  Result<delta::CommitResult> committed =
      overwrite ? delta_.Overwrite(select, write) : delta_.Append(select, write);
  if (!committed.ok()) return committed.status().WithContext("table " + table_.ToString());
  return committed;
}

Result<int64_t> BronzeWriter::CommitDeletesBefore(const std::vector<std::string>& key,
                                                  const std::string& position,
                                                  const delta::SetTransaction& txn,
                                                  const std::string& user_metadata,
                                                  int64_t now_micros) {
  STRATA_ASSIGN_OR_RETURN(std::optional<delta::Snapshot> snap, Load());
  if (!snap) {
    return Status::FailedPrecondition("table " + table_.ToString() +
                                      " does not exist: no rows to delete");
  }
  STRATA_ASSIGN_OR_RETURN(delta::ScanPlan plan, delta::PlanScan(*snap, *store_, conn_));
  std::string keys;
  for (const std::string& k : key) keys += (keys.empty() ? "" : ", ") + QuoteIdentifier(k);
  std::string at = engine::QuoteLiteral(position);
  std::string now = "CAST(make_timestamp(" + std::to_string(now_micros) + ") AS TIMESTAMPTZ)";
  STRATA_RETURN_IF_ERROR(conn_.Execute(
      "CREATE OR REPLACE TEMP TABLE " + stage_ +
      " AS SELECT * EXCLUDE (_op, _position, _source_ts, _tx, _ingested_at, __strata_rn), 'd' AS "
      "_op, " +
      at + " AS _position, " + now + " AS _source_ts, '' AS _tx, " + now +
      " AS _ingested_at FROM (SELECT *, row_number() OVER (PARTITION BY " + keys +
      " ORDER BY _position DESC) AS __strata_rn FROM (" + plan.sql() +
      ")) WHERE __strata_rn = 1 AND _op <> 'd' AND _position < " + at));
  DropOnExit drop{conn_, stage_};
  STRATA_ASSIGN_OR_RETURN(int64_t deleted,
                          engine::QueryInt64(conn_, "SELECT count(*) FROM " + stage_));
  delta::WriteOptions write;
  write.txn = txn;
  write.user_metadata = user_metadata;
  write.conflict_retries = 5;
  Result<delta::CommitResult> committed = delta_.Append("SELECT * FROM " + stage_, write);
  if (!committed.ok()) return committed.status().WithContext("table " + table_.ToString());
  return deleted;
}

Result<std::optional<nlohmann::json>> LatestSourceMetadata(const lake::Lake& lake,
                                                           const lake::TableName& table,
                                                           const std::string& source,
                                                           size_t limit) {
  Result<std::vector<delta::CommitEntry>> history =
      delta::ReadHistory(lake.store(), lake.TableRoot(table), std::nullopt, limit);
  if (!history.ok()) {
    if (history.status().IsNotFound()) return std::optional<nlohmann::json>();
    return history.status();
  }
  for (const delta::CommitEntry& entry : *history) {
    const nlohmann::json& info = entry.info.json;
    if (!info.contains("userMetadata") || !info["userMetadata"].is_string()) continue;
    nlohmann::json meta =
        nlohmann::json::parse(info["userMetadata"].get<std::string>(), nullptr, false);
    if (meta.is_object() && meta.value("source", "") == source) {
      return std::optional<nlohmann::json>(std::move(meta));
    }
  }
  return std::optional<nlohmann::json>();
}

}  // namespace strata::ingest::mysql
