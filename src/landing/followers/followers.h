// The followers of a project's database sources, for `strata serve`: one thread per source
// marked `follow: true` in sources/*.yaml, each running MysqlSource::Follow until Stop.
//
//   FollowerOptions options;
//   std::unique_ptr<SourceFollowers> followers = SourceFollowers::Start(project, options);
//   nlohmann::json sources = followers->Report();   // GET /api/sources
//   followers->Stop();                              // or let the destructor do it
//
// Contract:
//  - A follower that fails (source down, wrong password, a lost binlog position, a secret that
//    does not resolve) is logged with the source's name, its error is kept for Report() and
//    (every failure of Follow itself) in the source's state file under .strata/cdc, which
//    `strata source status` reads; it is started again after a capped exponential backoff
//    (initial_backoff_ms doubling up to max_backoff_ms; an attempt that ran longer than
//    max_backoff_ms starts the backoff over). A follower never stops the process or the other
//    followers.
//  - Stop sets the stop flag every Follow loop polls (the binlog read wakes on the server's
//    heartbeats every 0.5 s): the complete transactions read are committed, a micro-batch
//    commits whole or not at all (one Delta commit per table), and every thread is joined
//    before Stop returns. A follower waiting to retry stops at once.
//  - Messages never hold a password: connections are shown as user@host:port/database and the
//    sources' errors are the server's.
// Thread safety: Report and Stop from any thread, concurrently with the followers.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ingest/mysql/source.h"
#include "pipeline/project.h"

namespace strata::followers {

struct FollowerOptions {
  bool follow = true;  // false: start no follower; Report() still shows every source
  int64_t initial_backoff_ms = 1000;
  int64_t max_backoff_ms = 60000;
};

class SourceFollowers {
 public:
  // Starts a follower per `follow: true` database source of `project` (copied: the project may
  // go away) and returns at once; every failure after that is a follower's (see above).
  static std::unique_ptr<SourceFollowers> Start(const pipeline::Project& project,
                                                const FollowerOptions& options);
  ~SourceFollowers();  // Stop()
  SourceFollowers(const SourceFollowers&) = delete;
  SourceFollowers& operator=(const SourceFollowers&) = delete;

  void Stop();

  // Every database source of the project, followed or not:
  //   {"sources": [{"name", "kind", "connection", "mode", "follow",
  //                 "follower": {"state": "starting" | "following" (snapshot included: see
  //                                       the tables) | "retrying" | "stopped" | "not followed",
  //                              "failures", "last_error", "last_error_at_ms",
  //                              "retry_in_ms"},
  //                 "tables": [TableStatusJson...], "error"}]}
  // Table rows come from MysqlSource::TableStatuses (bronze, the state file and, when it
  // answers, the source); "error" says why they could not be read.
  nlohmann::json Report();

 private:
  class Impl;
  explicit SourceFollowers(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One table of `strata source status --json` and `GET /api/sources`.
nlohmann::ordered_json TableStatusJson(const std::string& source,
                                       const ingest::mysql::TableStatus& table);

}  // namespace strata::followers
