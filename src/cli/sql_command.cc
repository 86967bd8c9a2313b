// strata sql "QUERY": runs SQL in the embedded engine and prints the result.
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "cli/app.h"
#include "cli/lake_support.h"
#include "cli/output.h"
#include "engine/engine.h"

namespace strata::cli {
namespace {

struct SqlOptions {
  std::string query;
  std::string format = "table";
  bool json = false;
  int64_t max_rows = 1000;
  std::string database;
  int threads = 0;
  std::string memory_limit;
  std::string lake;
};

Status RunSql(const SqlOptions& options, CommandContext& context) {
  OutputOptions output;
  STRATA_ASSIGN_OR_RETURN(output.format, ParseOutputFormat(options.json ? "json" : options.format));
  output.max_rows = options.max_rows;

  std::string query = options.query;
  if (query == "-") {
    query.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  engine::DatabaseOptions db_options;
  db_options.path = options.database;
  db_options.threads = options.threads;
  db_options.memory_limit = options.memory_limit;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Database> db, engine::Database::Open(db_options));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, db->Connect());
  // Lake tables (bronze.x, 'path/to/delta' AT (VERSION => n)) become views on this connection
  // for as long as the session lives, i.e. until the result is written.
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> lake_root, ResolveLakeRoot(options.lake));
  std::optional<lake::Lake> lake;
  if (lake_root) {
    STRATA_ASSIGN_OR_RETURN(lake, OpenLake(*lake_root));
  }
  lake::LakeSession session(std::move(lake), *connection);
  STRATA_ASSIGN_OR_RETURN(lake::BoundQuery bound, session.Bind(query));
  Result<std::unique_ptr<engine::QueryResult>> result = connection->Query(bound.sql);
  if (!result.ok()) {
    const Status& error = result.status();
    // e.g. CREATE TABLE t AS SELECT * FROM bronze.x: DuckDB's parser only serializes SELECT.
    if (!bound.parsed && session.lake() &&
        error.message().find("Catalog Error") != std::string::npos) {
      return Status(error.code(),
                    error.message() + " (lake tables are bound in SELECT statements only)");
    }
    return error;
  }
  return WriteResult(**result, output, *context.out).status();
}

}  // namespace

void AddSqlCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<SqlOptions>();
  CLI::App* sql = app.add_subcommand("sql", "Run SQL in the embedded engine and print the result");
  sql->add_option("query", options->query, "The SQL to run ('-' reads it from stdin)")->required();
  sql->add_option("--format", options->format, "Output format: table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  sql->add_flag("--json", options->json, "Same as --format json");
  sql->add_option("--max-rows", options->max_rows, "Rows shown by the table format")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sql->add_option("--database", options->database,
                  "DuckDB database file to open (default: a fresh in-memory database)");
  sql->add_option("--threads", options->threads, "Engine threads (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  sql->add_option("--memory-limit", options->memory_limit, "Engine memory limit, e.g. 4GB");
  sql->add_option("--lake", options->lake,
                  "Lake directory whose tables are queryable as layer.name (default: the "
                  "storage of the project around the current directory, else ./lake)");
  sql->callback([options, &context] {
    context.action = [options, &context] { return RunSql(*options, context); };
  });
}

}  // namespace strata::cli
