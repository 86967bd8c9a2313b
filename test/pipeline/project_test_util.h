// Helpers for the pipeline integration tests: SQL over a project's lake through `strata sql`,
// and the run record of `strata run --json`.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace strata::test {

// Runs `query` with the project's lake bound and returns the data rows of the CSV output
// (header dropped), each row as its raw CSV line.
inline std::vector<std::string> SqlRows(const std::string& project, const std::string& query) {
  CommandResult r = RunStrata(
      {"sql", "--lake", project + "/lake", "--format", "csv", "--max-rows", "100000", query});
  EXPECT_EQ(r.exit_code, 0) << query << "\n" << r.err;
  std::vector<std::string> rows;
  std::istringstream lines(r.out);
  std::string line;
  bool header = true;
  while (std::getline(lines, line)) {
    if (header) {
      header = false;
      continue;
    }
    rows.push_back(line);
  }
  return rows;
}

// The single value of a one-row, one-column query.
inline std::string SqlValue(const std::string& project, const std::string& query) {
  std::vector<std::string> rows = SqlRows(project, query);
  EXPECT_EQ(rows.size(), 1u) << query;
  return rows.empty() ? "" : rows[0];
}

inline nlohmann::json ParseRecord(const CommandResult& r) {
  nlohmann::json record = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(record.is_discarded()) << r.out << r.err;
  return record;
}

inline const nlohmann::json* FindNode(const nlohmann::json& record, const std::string& table) {
  for (const auto& node : record["nodes"]) {
    if (node["table"] == table) return &node;
  }
  ADD_FAILURE() << "no node " << table;
  return nullptr;
}

// Writes `text` to `path`, creating its parent directories.
inline void WriteText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Data rows of a CSV file without quoted line breaks: its lines minus the header.
inline int64_t DataLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  int64_t n = -1;
  while (std::getline(in, line)) {
    if (!line.empty()) ++n;
  }
  return n;
}

}  // namespace strata::test
