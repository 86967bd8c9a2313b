// Helpers for the ingest tests only (included by *_test.cc, never by the library).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "engine/engine.h"
#include "ingest/file_source.h"
#include "storage/delta/conformance_test_util.h"

namespace strata::ingest::testing {

// A fresh directory under $STRATA_TEST_TMP (else /tmp), removed on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("STRATA_TEST_TMP");
    std::string dir = (base != nullptr && *base != '\0') ? base : "/tmp";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::string pattern = dir + "/strata-ingest-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << pattern;
    path_ = pattern;
  }
  ~TempDir() {
    delta::testing::ExpectConformingTables(path_);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

  // Writes `content` to path()/relative (parent directories created); returns the full path.
  std::string Write(const std::string& relative, const std::string& content) const {
    std::filesystem::path full = std::filesystem::path(path_) / relative;
    std::error_code ec;
    std::filesystem::create_directories(full.parent_path(), ec);
    std::ofstream out(full, std::ios::binary | std::ios::trunc);
    out << content;
    return full.string();
  }

 private:
  std::string path_;
};

// An in-memory DuckDB with a given thread count, and one connection.
struct Db {
  explicit Db(int threads = 2) {
    engine::DatabaseOptions options;
    options.threads = threads;
    auto db = engine::Database::Open(options);
    EXPECT_TRUE(db.ok()) << db.status();
    database = std::move(*db);
    auto c = database->Connect();
    EXPECT_TRUE(c.ok()) << c.status();
    conn = std::move(*c);
  }
  std::unique_ptr<engine::Database> database;
  std::unique_ptr<engine::Connection> conn;
};

// Every row of `sql` with each cell as Text() ("NULL" for NULL), joined by '|'.
inline std::vector<std::string> Rows(engine::Connection& conn, const std::string& sql) {
  std::vector<std::string> out;
  auto result = conn.Query(sql);
  EXPECT_TRUE(result.ok()) << result.status() << "\n" << sql;
  if (!result.ok()) return out;
  while (true) {
    auto chunk = (*result)->Next();
    EXPECT_TRUE(chunk.ok()) << chunk.status();
    if (!chunk.ok() || *chunk == nullptr) break;
    for (int64_t r = 0; r < (*chunk)->size(); ++r) {
      std::string line;
      for (int c = 0; c < (*chunk)->column_count(); ++c) {
        line += (c ? "|" : "") + ((*chunk)->IsNull(c, r) ? "NULL" : (*chunk)->Text(c, r));
      }
      out.push_back(line);
    }
  }
  return out;
}

inline int64_t Count(engine::Connection& conn, const std::string& sql) {
  auto rows = conn.QueryRows(sql);
  EXPECT_TRUE(rows.ok()) << rows.status() << "\n" << sql;
  if (!rows.ok() || rows->empty()) return -1;
  const auto* n = std::get_if<int64_t>(&(*rows)[0][0]);
  return n ? *n : -1;
}

// A CSV source with the given columns ("name TYPE" pairs) over `pattern`.
inline FileSourceSpec CsvSource(const std::string& name,
                                const std::vector<std::pair<std::string, std::string>>& columns,
                                const std::string& pattern = "*.csv") {
  FileSourceSpec spec;
  spec.name = name;
  spec.table = {"bronze", name};
  spec.file_patterns = {pattern};
  for (const auto& [column, type] : columns) spec.columns.push_back({column, type, "", ""});
  return spec;
}

}  // namespace strata::ingest::testing
