// IngestFileSource: landing validation, identity, staging and the two Delta commits per file.
//
// Consistency of the data table and its quarantine table (two Delta tables, so no shared
// atomic commit): both commits carry the same SetTransaction (appId "strata-file:<sha256>",
// version 1), and the quarantine commit goes first. The data commit is the "file done" marker.
//  - Crash before the quarantine commit: nothing of the file is visible; the next run loads it.
//  - Crash between the two: the next run re-stages the file (same content, same rows), the
//    quarantine append finds its txn and commits nothing (already_applied), the data commits.
//  - Crash after the data commit: the next run sees the txn and skips the file.
// So no row is lost or duplicated in either table; file_source_test.cc injects a fault at every
// store call of a load and checks exactly that.
#include "ingest/file_source.h"

#include <filesystem>
#include <set>
#include <system_error>

#include "common/clock.h"
#include "common/utf8.h"
#include "ingest/contract.h"
#include "ingest/file_reader.h"
#include "ingest/file_scan.h"
#include "ingest/landing.h"
#include "lake/table.h"
#include "storage/delta/delta_table.h"
#include "storage/delta/write_schema.h"

namespace strata::ingest {

int64_t IngestReport::rows_loaded() const {
  int64_t n = 0;
  for (const FileOutcome& f : files) n += f.rows_loaded;
  return n;
}

int64_t IngestReport::rows_quarantined() const {
  int64_t n = 0;
  for (const FileOutcome& f : files) n += f.rows_quarantined;
  return n;
}

bool IngestReport::ok() const {
  for (const FileOutcome& f : files) {
    if (f.state == FileState::kFailed) return false;
  }
  return true;
}

std::string_view FileStateName(FileState state) {
  switch (state) {
    case FileState::kLoaded:
      return "loaded";
    case FileState::kAlreadyLoaded:
      return "already_loaded";
    case FileState::kRejected:
      return "rejected";
    case FileState::kFailed:
      return "failed";
  }
  return "unknown";
}

std::string FileAppId(std::string_view sha256) { return "strata-file:" + std::string(sha256); }

namespace {

constexpr int kConflictRetries = 5;
constexpr char kStagingPrefix[] = "__strata_ingest";

struct StagingGuard {
  engine::Connection& conn;
  ~StagingGuard() { DropStaging(conn, kStagingPrefix); }
};

Result<std::vector<engine::Column>> ColumnsOf(engine::Connection& conn, const std::string& sql) {
  STRATA_ASSIGN_OR_RETURN(auto result, conn.Query("SELECT * FROM (" + sql + ") LIMIT 0"));
  return result->columns();
}

// The table's latest snapshot, or nullopt if it has no commit yet.
Result<std::optional<delta::Snapshot>> LoadIfExists(delta::DeltaTable& table) {
  Result<delta::Snapshot> snap = table.Load();
  if (snap.ok()) return std::optional<delta::Snapshot>(std::move(*snap));
  if (snap.status().IsNotFound()) return std::optional<delta::Snapshot>();
  return snap.status();
}

// Creates the table from the columns of `select_sql` unless it exists; returns its snapshot.
Result<delta::Snapshot> EnsureTable(engine::Connection& conn, delta::DeltaTable& table,
                                    const lake::TableName& name, const std::string& select_sql,
                                    const std::string& description) {
  STRATA_ASSIGN_OR_RETURN(std::optional<delta::Snapshot> snap, LoadIfExists(table));
  if (snap) return std::move(*snap);
  STRATA_ASSIGN_OR_RETURN(auto columns, ColumnsOf(conn, select_sql));
  delta::CreateOptions create;
  STRATA_ASSIGN_OR_RETURN(create.schema, delta::SchemaFromColumns(columns, name.ToString()));
  create.name = name.ToString();
  if (!description.empty()) create.description = description;
  create.if_exists = delta::CreateOptions::IfExists::kIgnore;
  STRATA_RETURN_IF_ERROR(table.Create(create).status());
  return table.Load();
}

struct Run {
  const lake::Lake& lake;
  engine::Connection& conn;
  const FileSourceSpec& source;
  const std::string& landing_dir;
  int64_t ingested_at = 0;
  lake::TableName quarantine_name;
  delta::DeltaTable data;
  delta::DeltaTable quarantine;
  std::optional<delta::Snapshot> data_snap;
  std::vector<ColumnSpec> contract;
  std::set<std::string> loaded_now;  // shas committed by this run

  Run(const lake::Lake& l, engine::Connection& c, const FileSourceSpec& s, const std::string& dir)
      : lake(l),
        conn(c),
        source(s),
        landing_dir(dir),
        quarantine_name(lake::QuarantineTableOf(s.table)),
        data(l.shared_store(), l.TableRoot(s.table), c),
        quarantine(l.shared_store(), l.TableRoot(quarantine_name), c) {}

  bool AlreadyLoaded(FileOutcome& out) const {
    if (!loaded_now.count(out.sha256) &&
        !(data_snap && data_snap->AppVersion(FileAppId(out.sha256))))
      return false;
    out.state = FileState::kAlreadyLoaded;
    out.reason = "content already loaded (sha256 " + out.sha256 + ")";
    return true;
  }

  // Loads one file whose name passed validation. Status errors are failures of the run.
  Status LoadFile(const LandedFile& file, FileOutcome& out) {
    const std::string path =
        file.content_path.empty() ? landing_dir + "/" + file.name : file.content_path;
    // A hash known beforehand decides "already loaded" before the file is read at all.
    out.sha256 = file.sha256;
    if (!out.sha256.empty() && AlreadyLoaded(out)) {
      std::error_code error;
      const uintmax_t size = std::filesystem::file_size(path, error);
      if (!error) out.size_bytes = static_cast<int64_t>(size);
      return Status::OK();
    }
    RecordScanOptions scan_options = ScanOptionsFor(source);
    scan_options.hash = out.sha256.empty();
    Result<FileScan> scan = ScanFile(path, scan_options);
    if (!scan.ok()) return Fail(out, scan.status().message());
    if (out.sha256.empty()) out.sha256 = scan->sha256;
    out.size_bytes = scan->size_bytes;
    if (AlreadyLoaded(out)) return Status::OK();
    const std::string app_id = FileAppId(out.sha256);
    StagingGuard guard{conn};
    ReadRequest request;
    request.source = &source;
    request.columns = contract;
    request.path = path;
    request.file = out.file;
    request.ingested_at_micros = ingested_at;
    request.staging_prefix = kStagingPrefix;
    Result<StagedFile> staged = StageFile(conn, request, *scan);
    if (!staged.ok()) {
      if (staged.status().IsInvalidArgument()) return Fail(out, staged.status().message());
      return staged.status();
    }
    out.rows_read = staged->rows_read;
    // Refuse a file the table cannot take before anything of it is committed.
    if (data_snap) {
      STRATA_ASSIGN_OR_RETURN(auto columns, ColumnsOf(conn, staged->data_sql));
      Result<delta::WritePlan> plan =
          delta::PlanWrite(data_snap->schema, data_snap->partition_columns(), columns,
                           !source.columns.empty(), source.table.ToString());
      if (!plan.ok()) return Fail(out, plan.status().message());
    }
    delta::WriteOptions write;
    write.txn = delta::SetTransaction{app_id, 1, std::nullopt};
    write.conflict_retries = kConflictRetries;
    if (staged->rows_quarantined > 0) {
      STRATA_RETURN_IF_ERROR(EnsureTable(conn, quarantine, quarantine_name, staged->quarantine_sql,
                                         "Rows of " + source.table.ToString() +
                                             " that could not be typed, with the raw line, file, "
                                             "row number and reason.")
                                 .status());
      STRATA_RETURN_IF_ERROR(quarantine.Append(staged->quarantine_sql, write).status());
    }
    if (!data_snap) {
      STRATA_ASSIGN_OR_RETURN(
          data_snap, EnsureTable(conn, data, source.table, staged->data_sql, source.description));
    }
    write.evolve_schema = !source.columns.empty();
    STRATA_ASSIGN_OR_RETURN(delta::CommitResult committed, data.Append(staged->data_sql, write));
    if (committed.already_applied) {
      // A concurrent run committed the same content first.
      out.state = FileState::kAlreadyLoaded;
      out.reason = "content already loaded (sha256 " + out.sha256 + ")";
      return Status::OK();
    }
    if (contract.empty()) contract = staged->columns;
    loaded_now.insert(out.sha256);
    out.state = FileState::kLoaded;
    out.rows_loaded = staged->rows_loaded;
    out.rows_quarantined = staged->rows_quarantined;
    return Status::OK();
  }

  static Status Fail(FileOutcome& out, const std::string& reason) {
    out.state = FileState::kFailed;
    // The reason may quote the file's bytes (DuckDB's messages do): records and JSON need UTF-8.
    out.reason = ToValidUtf8(out.file + ": " + reason);
    return Status::OK();
  }
};

Result<std::optional<int64_t>> VersionOf(const lake::Lake& lake, const lake::TableName& name) {
  return delta::LatestVersion(lake.store(), lake.TableRoot(name));
}

}  // namespace

Result<IngestReport> IngestFileSource(const lake::Lake& lake, engine::Connection& connection,
                                      const FileSourceSpec& source, const std::string& landing_dir,
                                      const IngestOptions& options) {
  STRATA_RETURN_IF_ERROR(ValidateSpec(source));
  STRATA_RETURN_IF_ERROR(CheckColumnTypes(connection, source, source.columns));
  Run run(lake, connection, source, landing_dir);
  run.ingested_at =
      options.ingested_at_micros != 0 ? options.ingested_at_micros : Clock::System().NowMicros();
  STRATA_ASSIGN_OR_RETURN(run.data_snap, LoadIfExists(run.data));
  run.contract = source.columns;
  if (run.contract.empty() && run.data_snap)
    run.contract = ContractFromSchema(run.data_snap->schema);

  std::vector<LandedFile> candidates = options.files;
  if (candidates.empty()) {
    // Listing mode: files of other sources share the landing directory, so only names that
    // match a pattern are this source's; those with the wrong extension are rejected below.
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> all, ListLandingFiles(landing_dir));
    for (const std::string& file : all) {
      for (const std::string& pattern : source.file_patterns) {
        if (GlobMatch(pattern, file)) {
          candidates.push_back({.name = file});
          break;
        }
      }
    }
  }

  IngestReport report;
  report.source = source.name;
  for (const LandedFile& file : candidates) {
    FileOutcome out;
    out.file = file.name;
    const std::string& matched = file.matched_name.empty() ? file.name : file.matched_name;
    std::optional<std::string> why = LandingRejection(source.file_patterns, source.format, matched);
    if (!why && !IsSafeRelativePath(file.name)) why = "not a safe landing-relative path";
    if (why) {
      out.state = FileState::kRejected;
      out.reason = ToValidUtf8(file.name + ": " + *why);
    } else {
      STRATA_RETURN_IF_ERROR(run.LoadFile(file, out).WithContext(
          "ingesting " + file.name + " into " + source.table.ToString()));
    }
    report.files.push_back(std::move(out));
  }
  STRATA_ASSIGN_OR_RETURN(report.table_version, VersionOf(lake, source.table));
  STRATA_ASSIGN_OR_RETURN(report.quarantine_version, VersionOf(lake, run.quarantine_name));
  return report;
}

}  // namespace strata::ingest
