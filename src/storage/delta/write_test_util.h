// Helpers shared by the Delta write-path tests (included by *_test.cc only).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/delta/delta_table.h"
#include "storage/delta/delta_test_util.h"
#include "storage/delta/log_files.h"
#include "storage/delta/scan.h"
#include "storage/delta/snapshot.h"
#include "storage/local_object_store.h"
#include "storage/storage_test_util.h"

namespace strata::delta::testing {

inline std::shared_ptr<storage::ObjectStore> OpenLocal(const std::string& dir) {
  auto store = storage::LocalObjectStore::Open(dir);
  store.status().Check();
  return std::shared_ptr<storage::ObjectStore>(std::move(store).value());
}

// The rows of the table (latest or `version`) as a scan SQL kept alive by `plan`.
inline std::string ScanSql(storage::ObjectStore& store, const std::string& root,
                           engine::Connection& conn, ScanPlan* plan,
                           std::optional<int64_t> version = std::nullopt) {
  SnapshotOptions o;
  o.version = version;
  o.connection = &conn;
  auto snap = LoadSnapshot(store, root, o);
  if (!snap.ok()) {
    ADD_FAILURE() << snap.status();
    return "SELECT 1 WHERE false";
  }
  auto p = PlanScan(*snap, store, conn);
  if (!p.ok()) {
    ADD_FAILURE() << p.status();
    return "SELECT 1 WHERE false";
  }
  *plan = std::move(p).value();
  return plan->sql();
}

inline int64_t RowCount(storage::ObjectStore& store, const std::string& root,
                        engine::Connection& conn, std::optional<int64_t> version = std::nullopt) {
  ScanPlan plan;
  std::string sql = ScanSql(store, root, conn, &plan, version);
  return Count(conn, sql);
}

// The actions of one commit file.
inline std::vector<Action> CommitActions(storage::ObjectStore& store, const std::string& root,
                                         int64_t version) {
  auto content = store.Get(CommitKey(root, version));
  if (!content.ok()) {
    ADD_FAILURE() << content.status();
    return {};
  }
  auto actions = ParseCommitFile(*content, "commit");
  if (!actions.ok()) {
    ADD_FAILURE() << actions.status();
    return {};
  }
  return *actions;
}

template <typename T>
std::vector<T> ActionsOf(const std::vector<Action>& actions) {
  std::vector<T> out;
  for (const Action& a : actions) {
    if (const T* t = std::get_if<T>(&a)) out.push_back(*t);
  }
  return out;
}

inline CommitInfo InfoOf(const std::vector<Action>& actions) {
  auto infos = ActionsOf<CommitInfo>(actions);
  if (infos.empty()) {
    ADD_FAILURE() << "no commitInfo";
    return {};
  }
  return infos[0];
}

}  // namespace strata::delta::testing
