#include "storage/delta/commit.h"

#include <set>

#include "storage/delta/data_writer.h"
#include "storage/delta/log_files.h"

#ifndef STRATA_VERSION
#define STRATA_VERSION "0.0.0"
#endif

namespace strata::delta {
namespace {

std::string Decoded(const std::string& path) {
  auto d = DecodeUriPath(path);
  return d.ok() ? *d : path;
}

std::string TableName(std::string_view root) {
  return "Delta table '" + std::string(root.empty() ? "." : root) + "'";
}

const CommitInfo* FindCommitInfo(const std::vector<Action>& actions) {
  for (const Action& a : actions) {
    if (const auto* c = std::get_if<CommitInfo>(&a)) return c;
  }
  return nullptr;
}

}  // namespace

std::string EngineInfo() { return std::string("strata/") + STRATA_VERSION; }

Status CheckConflict(const CommitRequest& request, int64_t winner_version,
                     const std::vector<Action>& winner) {
  const std::string who = "concurrent commit " + std::to_string(winner_version);
  std::set<std::string> app_ids;
  std::set<std::string> our_files;
  for (const std::string& f : request.read.files) our_files.insert(Decoded(f));
  for (const Action& a : request.actions) {
    if (const auto* t = std::get_if<SetTransaction>(&a)) app_ids.insert(t->app_id);
    if (const auto* r = std::get_if<RemoveFile>(&a)) our_files.insert(Decoded(r->path));
  }
  for (const Action& a : winner) {
    if (std::holds_alternative<Protocol>(a)) {
      return Status::Conflict(who + " changed the table protocol");
    }
    if (std::holds_alternative<Metadata>(a)) {
      return Status::Conflict(who +
                              " changed the table metadata (schema, partitioning or "
                              "properties)");
    }
    if (const auto* t = std::get_if<SetTransaction>(&a); t && app_ids.count(t->app_id)) {
      return Status::Conflict(who + " committed a transaction of application '" + t->app_id +
                              "' (version " + std::to_string(t->version) + ")");
    }
    if (const auto* r = std::get_if<RemoveFile>(&a); r && our_files.count(Decoded(r->path))) {
      return Status::Conflict(who + " removed file '" + r->path +
                              "', which this transaction read or rewrites");
    }
    const auto* add = std::get_if<AddFile>(&a);
    if (add == nullptr || !add->data_change || request.read.blind_append) continue;
    if (request.read.whole_table) {
      return Status::Conflict(who + " added file '" + add->path +
                              "' to a table this transaction read in full");
    }
    if (request.read.predicate.empty() || request.read_snapshot == nullptr) continue;
    Result<bool> may_match = FileMayMatch(*request.read_snapshot, *add, request.read.predicate);
    if (!may_match.ok() || *may_match) {
      return Status::Conflict(who + " added file '" + add->path +
                              "', which may hold rows matching the predicate this transaction "
                              "read");
    }
  }
  return Status::OK();
}

Result<CommitSuccess> CommitTransaction(storage::ObjectStore& store, std::string_view table_root,
                                        const CommitRequest& request, const CommitOptions& options,
                                        CommitFailure* failure) {
  CommitFailure ignored;
  if (failure == nullptr) failure = &ignored;
  *failure = CommitFailure{};
  Clock& clock = options.clock != nullptr ? *options.clock : Clock::System();
  const Snapshot* snap = request.read_snapshot;
  const int64_t read_version = snap != nullptr ? snap->version : -1;
  const std::string txn_id = NewUuid();
  const std::string table = TableName(table_root);

  // Commit timestamps must not go backwards, or time travel by timestamp would misorder them.
  int64_t timestamp = clock.NowMicros() / 1000;
  if (snap != nullptr && !snap->commits.empty()) {
    timestamp = std::max(timestamp, snap->commits.back().timestamp_millis);
  }
  auto serialize = [&]() {
    CommitInfo info;
    info.json = nlohmann::json::object();
    info.json["timestamp"] = timestamp;
    info.json["operation"] = request.operation;
    info.json["operationParameters"] = nlohmann::json::parse(request.operation_parameters.dump());
    if (read_version >= 0) info.json["readVersion"] = read_version;
    info.json["isolationLevel"] = "Serializable";
    info.json["isBlindAppend"] = request.read.blind_append;
    info.json["operationMetrics"] = nlohmann::json::parse(request.operation_metrics.dump());
    info.json["engineInfo"] = options.engine_info.empty() ? EngineInfo() : options.engine_info;
    info.json["txnId"] = txn_id;
    if (!request.user_metadata.empty()) info.json["userMetadata"] = request.user_metadata;
    info.timestamp = timestamp;
    info.operation = request.operation;
    std::vector<Action> all;
    all.reserve(request.actions.size() + 1);
    all.emplace_back(std::move(info));
    all.insert(all.end(), request.actions.begin(), request.actions.end());
    return SerializeActions(all);
  };
  std::string content = serialize();

  int64_t version = read_version + 1;
  int attempts = 1;
  int io_failures = 0;
  Status last_io;
  while (true) {
    const std::string key = CommitKey(table_root, version);
    Status put = store.PutIfAbsent(key, content);
    if (put.ok()) return CommitSuccess{version, attempts, txn_id};
    Result<std::string> existing =
        put.IsAlreadyExists() ? store.Get(key) : Result<std::string>(put);
    if (!existing.ok()) {
      // The put may have landed (a lost response): retry the same version, which either
      // succeeds or finds a commit that we can recognise as ours by its txnId.
      last_io = existing.status();
      if (++io_failures > options.max_io_retries) {
        failure->outcome_unknown = true;
        return Status::IOError(table + ": commit of version " + std::to_string(version) +
                               " failed and may or may not have landed: " + last_io.ToString());
      }
      clock.SleepForMicros(1000LL << std::min(io_failures, 6));
      continue;
    }
    STRATA_ASSIGN_OR_RETURN(std::vector<Action> winner, ParseCommitFile(*existing, key));
    const CommitInfo* info = FindCommitInfo(winner);
    if (info != nullptr && info->json.contains("txnId") && info->json["txnId"] == txn_id) {
      return CommitSuccess{version, attempts, txn_id};  // an earlier attempt of ours landed
    }
    if (read_version < 0) {
      failure->conflicting_version = version;
      return Status::AlreadyExists(table + " already exists (version " + std::to_string(version) +
                                   " was committed by another writer)");
    }
    Status conflict = CheckConflict(request, version, winner);
    if (!conflict.ok()) {
      failure->conflicting_version = version;
      return Status::Conflict(table + ": " + conflict.message() + " after version " +
                              std::to_string(read_version) + " was read");
    }
    if (info != nullptr && info->timestamp && *info->timestamp > timestamp) {
      timestamp = *info->timestamp;
      content = serialize();
    }
    ++version;
    io_failures = 0;
    if (++attempts > options.max_attempts) {
      failure->conflicting_version = version - 1;
      return Status::Conflict(table + ": gave up after " + std::to_string(options.max_attempts) +
                              " attempts; other writers keep committing first (latest seen: " +
                              std::to_string(version - 1) + ")");
    }
  }
}

}  // namespace strata::delta
