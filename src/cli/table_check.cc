// strata table check: the Delta write-conformance check (storage/delta/conformance.h) over one
// table, a directory of tables or the whole lake, so a user can see that Spark, Databricks,
// Trino and delta-rs will open what strata wrote.
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/lake_support.h"
#include "cli/table_subcommands.h"
#include "storage/delta/conformance.h"

namespace strata::cli {
namespace {

struct CheckOptions {
  std::string lake;
  std::string target;  // layer.name, a path (a table or a directory of tables), or empty: the lake
  bool json = false;
};

Status RunCheck(const CheckOptions& options, std::ostream& out) {
  std::shared_ptr<storage::ObjectStore> store;
  std::string prefix;
  std::string display;
  if (options.target.empty()) {
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> root, ResolveLakeRoot(options.lake));
    if (!root) {
      return Status::NotFound("no lake here: run inside a project, or give --lake DIR or a path");
    }
    STRATA_ASSIGN_OR_RETURN(store, storage::OpenObjectStore(*root));
    display = *root;
  } else if (lake::IsPathReference(options.target)) {
    STRATA_ASSIGN_OR_RETURN(store, storage::OpenObjectStore(options.target));
    display = options.target;
  } else {
    STRATA_ASSIGN_OR_RETURN(lake::Lake lake, OpenLake(options.lake));
    STRATA_ASSIGN_OR_RETURN(lake::TableLocation location, lake.Resolve(options.target));
    store = location.store;
    prefix = location.root;
    display = location.display;
  }
  STRATA_ASSIGN_OR_RETURN(LakeEngine engine, OpenLakeEngine(std::nullopt));
  STRATA_ASSIGN_OR_RETURN(delta::ConformanceReport report,
                          delta::CheckTablesConformance(*store, prefix, *engine.connection));
  if (report.tables == 0) return Status::NotFound("no Delta table under " + display);
  if (options.json) {
    out << nlohmann::ordered_json{{"checked", display},        {"tables", report.tables},
                                  {"commits", report.commits}, {"checkpoints", report.checkpoints},
                                  {"ok", report.ok()},         {"problems", report.problems}}
               .dump(2)
        << "\n";
  } else {
    out << display << ": " << report.Summary(SIZE_MAX) << "\n";
  }
  if (!report.ok()) {
    return Status::Corruption(std::to_string(report.problems.size()) +
                              " Delta protocol problem(s) under " + display);
  }
  return Status::OK();
}

}  // namespace

void AddTableCheckCommand(CLI::App* table, CommandContext& context) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* check = table->add_subcommand(
      "check",
      "Check that tables follow the Delta protocol as Spark, Databricks, Trino and delta-rs "
      "read it (every table of the lake when no table is given)");
  check->add_option("table", options->target,
                    "layer.name, a Delta table path, or a directory holding tables");
  check->add_option("--lake", options->lake, "Lake directory (default: the project's lake)");
  check->add_flag("--json", options->json, "Print JSON");
  check->callback([options, &context] {
    context.action = [options, &context] { return RunCheck(*options, *context.out); };
  });
}

}  // namespace strata::cli
