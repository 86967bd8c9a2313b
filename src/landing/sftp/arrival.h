// What happens when a partner's file has arrived: the seam between the SFTP server and whatever
// loads the file. The server (through ArrivalIntake) hashes and archives the file, checks its
// name against the project's sources, records it in the catalog and, if a source takes it, hands
// it to an ArrivalHandler. Today that is PipelineTrigger (pipeline_trigger.h: runs the bronze
// ingest of the source directly); the orchestrator's file trigger is a drop-in replacement.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "pipeline/project.h"

namespace strata::sftp {

struct Arrival {
  int64_t id = 0;       // catalog file_arrivals id
  std::string partner;  // "acme"
  std::string path;     // partner-relative: "pedidos.csv"
  std::string source;   // source name: "pedidos"
  std::string table;    // "bronze.pedidos"
  std::string sha256;   // hex
  int64_t size_bytes = 0;
  std::string content_path;  // immutable archived content (objects/<sha256>)
  std::string landing_file;  // the partner's copy, and its identity when it arrived
  uint64_t landing_device = 0;
  uint64_t landing_inode = 0;
  std::string received_at;  // ISO-8601 UTC
  // Requeued at start, its load unfinished when the process stopped: that load may have
  // committed the rows before it could record the outcome.
  bool resumed = false;
};

// Receives accepted arrivals. Thread safety: OnArrival may be called from any thread and must
// return quickly (queue the work); the handler owns what happens next, including recording the
// load's outcome.
class ArrivalHandler {
 public:
  virtual ~ArrivalHandler() = default;
  virtual void OnArrival(const Arrival& arrival) = 0;
};

// Which source of `project` takes the partner-relative `path`: the first source with a pattern
// matching it (patterns are globs over landing-relative paths, see ingest/landing.h; a partner's
// root stands for the landing root). InvalidArgument with the reason a partner reads otherwise:
// no pattern matches (the patterns are listed), wrong extension for the source's format.
Result<const pipeline::SourceSpec*> MatchSource(const pipeline::Project& project,
                                                std::string_view path);

// True for names uploads use while in progress ("x.csv.part", ".x.csv", "x.filepart", "x.tmp"):
// closing such a file is not an arrival; renaming it to a final name is.
bool IsTemporaryName(std::string_view path);

}  // namespace strata::sftp
