#include "cli/run_output.h"

#include <unistd.h>

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace strata::cli {
namespace {

using pipeline::NodeResult;
using pipeline::NodeStatus;

std::string Seconds(int64_t millis) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1fs", static_cast<double>(millis) / 1000.0);
  return buffer;
}

std::string TestsCell(const NodeResult& node) {
  if (node.tests.empty()) return "-";
  std::string cell = std::to_string(node.tests_passed()) + "/" + std::to_string(node.tests.size());
  if (node.tests_failed() > 0) cell += " (" + std::to_string(node.tests_failed()) + " failed)";
  return cell;
}

void Pad(std::ostream& out, const std::string& text, size_t width, bool right = false) {
  if (right) out << std::string(width > text.size() ? width - text.size() : 0, ' ');
  out << text;
  if (!right) out << std::string(width > text.size() ? width - text.size() : 0, ' ');
}

}  // namespace

std::string GroupDigits(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::function<void(const pipeline::ProgressEvent&)> TerminalProgress(std::ostream& err) {
  if (&err != &std::cerr || ::isatty(STDERR_FILENO) == 0) return {};
  return [&err](const pipeline::ProgressEvent& event) {
    err << "\r\033[K";
    if (event.kind == pipeline::ProgressEvent::Kind::kFinished) {
      const NodeResult& node = *event.result;
      const char* mark = node.status == NodeStatus::kSuccess   ? "ok  "
                         : node.status == NodeStatus::kWarn    ? "warn"
                         : node.status == NodeStatus::kSkipped ? "skip"
                                                               : "FAIL";
      err << "  " << mark << "  " << node.table << "  " << GroupDigits(node.rows_written)
          << " rows";
      if (node.rows_quarantined > 0) {
        err << ", " << GroupDigits(node.rows_quarantined) << " quarantined";
      }
      err << "  " << Seconds(node.millis) << "\n";
    }
    if (event.done < event.total) {
      err << "[" << event.done << "/" << event.total << "] "
          << (event.kind == pipeline::ProgressEvent::Kind::kStarted ? "running " + event.table
                                                                    : std::string("..."))
          << "  " << Seconds(event.elapsed_millis);
    }
    err.flush();
  };
}

void WriteRunSummary(const pipeline::RunRecord& record, std::ostream& out) {
  size_t width = 5;
  for (const NodeResult& node : record.nodes) width = std::max(width, node.table.size());
  int failed = 0, skipped = 0, warned = 0;
  for (const NodeResult& node : record.nodes) {
    failed += node.status == NodeStatus::kFailed;
    skipped += node.status == NodeStatus::kSkipped;
    warned += node.status == NodeStatus::kWarn;
  }
  out << (record.command == "test" ? "test " : "run ") << record.run_id << " (" << record.project
      << "): " << record.nodes.size() << " tables in "
      << Seconds((record.finished_at_micros - record.started_at_micros) / 1000) << ", "
      << (record.ok()        ? "succeeded"
          : record.cancelled ? "CANCELLED"
                             : "FAILED");
  if (failed > 0) out << ", " << failed << " failed";
  if (skipped > 0) out << ", " << skipped << " skipped";
  if (warned > 0) out << ", " << warned << " with warnings";
  out << "\n\n";
  Pad(out, "table", width + 2);
  Pad(out, "status", 9);
  Pad(out, "rows", 13, true);
  Pad(out, "quarantined", 13, true);
  Pad(out, "tests", 18, true);
  Pad(out, "time", 9, true);
  out << "\n";
  for (const NodeResult& node : record.nodes) {
    Pad(out, node.table, width + 2);
    Pad(out, pipeline::NodeStatusName(node.status), 9);
    Pad(out, GroupDigits(node.rows_written), 13, true);
    Pad(out, GroupDigits(node.rows_quarantined), 13, true);
    Pad(out, TestsCell(node), 18, true);
    Pad(out, Seconds(node.millis), 9, true);
    out << "\n";
  }
  bool header = false;
  for (const NodeResult& node : record.nodes) {
    std::vector<std::string> notes;
    if (!node.error.empty()) notes.push_back(node.error);
    for (const pipeline::TestResult& test : node.tests) {
      if (test.status == pipeline::TestStatus::kPass || test.Blocks()) continue;
      notes.push_back(std::string(pipeline::TestStatusName(test.status)) + " " + test.name + ": " +
                      test.message);
    }
    for (const auto& file : node.files) {
      if (file.state == ingest::FileState::kRejected || file.state == ingest::FileState::kFailed) {
        notes.push_back(std::string(ingest::FileStateName(file.state)) + " " + file.reason);
      }
    }
    if (notes.empty()) continue;
    if (!header) out << "\n";
    header = true;
    for (const std::string& note : notes) out << node.table << ": " << note << "\n";
  }
  if (!record.catalog_error.empty()) {
    out << "\nwarning: the catalog did not record this run: " << record.catalog_error << "\n";
  }
  out << "\nrun record: strata runs show " << record.run_id << " --json\n";
}

Status RunOutcome(const pipeline::RunRecord& record) {
  if (record.ok()) return Status::OK();
  int failed = 0, skipped = 0;
  for (const NodeResult& node : record.nodes) {
    failed += node.status == NodeStatus::kFailed;
    skipped += node.status == NodeStatus::kSkipped;
  }
  return Status::FailedPrecondition(record.command + " " + record.run_id +
                                    (record.cancelled ? " cancelled by user: " : " failed: ") +
                                    std::to_string(failed) + " failed, " + std::to_string(skipped) +
                                    " skipped (see the summary)");
}

}  // namespace strata::cli
