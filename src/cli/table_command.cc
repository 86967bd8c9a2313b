// strata table read|history|info|list: look at the lake's Delta tables (maintenance commands
// are in table_maintenance.cc, info and history in table_info.cc).
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/lake_support.h"
#include "cli/output.h"
#include "cli/table_subcommands.h"
#include "lake/lake.h"
#include "lake/session.h"
#include "storage/delta/snapshot.h"

namespace strata::cli {

namespace {

struct ReadOptions {
  std::string lake;
  std::string table;
  std::optional<int64_t> version;
  std::string timestamp;
  std::string format = "table";
  bool json = false;
  std::optional<int64_t> limit;
  std::vector<std::string> where;
  int64_t max_rows = 1000;
};

Status RunRead(const ReadOptions& options, std::ostream& out) {
  OutputOptions output;
  STRATA_ASSIGN_OR_RETURN(output.format, ParseOutputFormat(options.json ? "json" : options.format));
  output.max_rows = options.max_rows;
  STRATA_ASSIGN_OR_RETURN(std::optional<lake::Lake> lake,
                          LakeForTable(options.lake, options.table));
  STRATA_ASSIGN_OR_RETURN(LakeEngine engine, OpenLakeEngine(std::move(lake)));
  lake::TimeTravel travel;
  travel.version = options.version;
  if (!options.timestamp.empty()) {
    STRATA_ASSIGN_OR_RETURN(travel.timestamp_millis,
                            engine.session->ParseTimestampMillis(options.timestamp));
  }
  STRATA_ASSIGN_OR_RETURN(lake::BoundTable table, engine.session->BindTable(options.table, travel));
  std::string sql = "SELECT * FROM " + table.view;
  for (size_t i = 0; i < options.where.size(); ++i) {
    sql += (i ? " AND (" : " WHERE (") + options.where[i] + ")";
  }
  if (options.limit) sql += " LIMIT " + std::to_string(*options.limit);
  Result<std::unique_ptr<engine::QueryResult>> result = engine.connection->Query(sql);
  if (!result.ok()) {
    return options.where.empty() ? result.status()
                                 : result.status().WithContext("reading with --where");
  }
  return WriteResult(**result, output, out).status();
}

Status RunList(const std::string& lake_flag, bool json, std::ostream& out) {
  STRATA_ASSIGN_OR_RETURN(lake::Lake lake, OpenLake(lake_flag));
  STRATA_ASSIGN_OR_RETURN(std::vector<lake::TableName> tables, lake.ListTables());
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (const lake::TableName& name : tables) {
    STRATA_ASSIGN_OR_RETURN(std::optional<int64_t> latest,
                            delta::LatestVersion(lake.store(), lake.TableRoot(name)));
    rows.push_back({name.ToString(), name.layer, name.name,
                    latest ? std::optional<std::string>(std::to_string(*latest)) : std::nullopt});
  }
  STRATA_ASSIGN_OR_RETURN(LakeEngine engine, OpenLakeEngine(std::nullopt));
  OutputOptions output;
  output.format = json ? OutputFormat::kJson : OutputFormat::kTable;
  output.max_rows = static_cast<int64_t>(rows.size()) + 1;
  return WriteComputed(
      *engine.connection,
      {{"table", "VARCHAR"}, {"layer", "VARCHAR"}, {"name", "VARCHAR"}, {"version", "BIGINT"}},
      rows, output, out);
}

void AddLakeOption(CLI::App* command, std::string* lake) {
  command->add_option("--lake", *lake, "Lake directory (default: ./lake)");
}

}  // namespace

void AddTableCommand(CLI::App& app, CommandContext& context) {
  CLI::App* table = app.add_subcommand("table", "Read and inspect the lake's Delta tables");
  table->require_subcommand(1);
  const std::string table_help = "Table as layer.name (bronze.pedidos), or a Delta table path";

  auto read_options = std::make_shared<ReadOptions>();
  CLI::App* read = table->add_subcommand("read", "Print a table's rows, at any version");
  read->add_option("table", read_options->table, table_help)->required();
  AddLakeOption(read, &read_options->lake);
  CLI::Option* version =
      read->add_option("--version", read_options->version, "Read this version (time travel)");
  version->check(CLI::NonNegativeNumber);
  read->add_option("--timestamp", read_options->timestamp,
                   "Read the version current at this time (e.g. '2024-01-31 10:00:00', UTC "
                   "unless an offset is given)")
      ->excludes(version);
  read->add_option("--format", read_options->format, "Output format: table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  read->add_flag("--json", read_options->json, "Same as --format json");
  read->add_option("--limit", read_options->limit, "At most this many rows")
      ->check(CLI::NonNegativeNumber);
  read->add_option("--where", read_options->where,
                   "SQL condition on the rows, e.g. 'qty > 1' (repeatable: all must hold)");
  read->add_option("--max-rows", read_options->max_rows, "Rows shown by the table format")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  read->callback([read_options, &context] {
    context.action = [read_options, &context] { return RunRead(*read_options, *context.out); };
  });

  struct HistoryOptions {
    std::string lake, table;
    int64_t limit = 0;
    bool json = false;
  };
  auto history_options = std::make_shared<HistoryOptions>();
  CLI::App* history = table->add_subcommand("history", "List a table's commits, newest first");
  history->add_option("table", history_options->table, table_help)->required();
  AddLakeOption(history, &history_options->lake);
  history->add_option("--limit", history_options->limit, "At most this many commits (0 = all)")
      ->check(CLI::NonNegativeNumber);
  history->add_flag("--json", history_options->json, "Print JSON");
  history->callback([history_options, &context] {
    context.action = [history_options, &context] {
      return RunTableHistory(history_options->lake, history_options->table, history_options->limit,
                             history_options->json, *context.out);
    };
  });

  struct InfoOptions {
    std::string lake, table;
    std::optional<int64_t> version;
    bool json = false;
  };
  auto info_options = std::make_shared<InfoOptions>();
  CLI::App* info = table->add_subcommand(
      "info", "Describe a table: version, protocol, schema, partitions, files, size, rows");
  info->add_option("table", info_options->table, table_help)->required();
  AddLakeOption(info, &info_options->lake);
  info->add_option("--version", info_options->version, "Describe this version")
      ->check(CLI::NonNegativeNumber);
  info->add_flag("--json", info_options->json, "Print JSON");
  info->callback([info_options, &context] {
    context.action = [info_options, &context] {
      return RunTableInfo(info_options->lake, info_options->table, info_options->version,
                          info_options->json, *context.out);
    };
  });

  struct ListOptions {
    std::string lake;
    bool json = false;
  };
  auto list_options = std::make_shared<ListOptions>();
  CLI::App* list = table->add_subcommand("list", "List the lake's tables");
  AddLakeOption(list, &list_options->lake);
  list->add_flag("--json", list_options->json, "Print JSON");
  list->callback([list_options, &context] {
    context.action = [list_options, &context] {
      return RunList(list_options->lake, list_options->json, *context.out);
    };
  });

  AddTableMaintenanceCommands(table, context);
  AddTableCheckCommand(table, context);
}

}  // namespace strata::cli
