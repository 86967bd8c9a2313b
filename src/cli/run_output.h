// Showing pipeline runs: live progress on a terminal and the summary at the end (shared by
// `strata run`, `strata test` and `strata demo`).
#pragma once

#include <functional>
#include <ostream>

#include "pipeline/run_record.h"
#include "pipeline/runner.h"

namespace strata::cli {

// A progress callback writing to `err` when it is a terminal: one line per finished node
// (status, rows, quarantined, time) and a "[done/total] running ..." line kept up to date.
// Returns an empty function when `err` is not a terminal, so logs stay clean.
std::function<void(const pipeline::ProgressEvent&)> TerminalProgress(std::ostream& err);

// The summary: one row per node (status, rows written, rows quarantined, tests passed/failed,
// time), then what failed and why, then how to see the run record.
void WriteRunSummary(const pipeline::RunRecord& record, std::ostream& out);

// OK when the run succeeded; else FailedPrecondition saying how many nodes failed/skipped.
Status RunOutcome(const pipeline::RunRecord& record);

// Thousands separators for row counts: 1234567 -> "1,234,567".
std::string GroupDigits(int64_t value);

}  // namespace strata::cli
