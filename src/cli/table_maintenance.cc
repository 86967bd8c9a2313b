// strata table vacuum|optimize|checkpoint: maintenance of one Delta table through the write
// path's DeltaTable.
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/lake_support.h"
#include "cli/table_subcommands.h"
#include "lake/lake.h"
#include "storage/delta/delta_table.h"

namespace strata::cli {
namespace {

using nlohmann::ordered_json;

struct MaintenanceOptions {
  std::string lake;
  std::string table;
  bool json = false;
  int64_t retain_hours = 168;
  bool dry_run = false;
  bool allow_short_retention = false;
};

// Runs `operation` on the table's DeltaTable with an engine of its own.
template <typename Operation>
Status WithTable(const MaintenanceOptions& options, Operation operation) {
  STRATA_ASSIGN_OR_RETURN(std::optional<lake::Lake> lake,
                          LakeForTable(options.lake, options.table));
  STRATA_ASSIGN_OR_RETURN(lake::TableLocation location,
                          lake ? lake->Resolve(options.table) : lake::OpenTablePath(options.table));
  STRATA_ASSIGN_OR_RETURN(LakeEngine engine, OpenLakeEngine(std::nullopt));
  delta::DeltaTable table(location.store, location.root, *engine.connection);
  Status status = operation(table, location.display);
  return status.ok() ? status : status.WithContext("table " + location.display);
}

Status RunVacuum(const MaintenanceOptions& options, std::ostream& out) {
  return WithTable(options, [&](delta::DeltaTable& table, const std::string& name) -> Status {
    delta::VacuumOptions vacuum;
    vacuum.retention_hours = options.retain_hours;
    vacuum.dry_run = options.dry_run;
    vacuum.allow_short_retention = options.allow_short_retention;
    STRATA_ASSIGN_OR_RETURN(delta::VacuumResult result, table.Vacuum(vacuum));
    if (options.json) {
      out << ordered_json{{"table", name},
                          {"dry_run", options.dry_run},
                          {"retain_hours", options.retain_hours},
                          {"files", result.files},
                          {"bytes", result.bytes}}
                 .dump(2)
          << "\n";
      return Status::OK();
    }
    out << (options.dry_run ? "would delete " : "deleted ") << result.files.size()
        << " unreferenced file(s), " << result.bytes << " bytes, from " << name << "\n";
    if (options.dry_run) {
      for (const std::string& key : result.files) out << "  " << key << "\n";
    }
    return Status::OK();
  });
}

Status RunOptimize(const MaintenanceOptions& options, std::ostream& out) {
  return WithTable(options, [&](delta::DeltaTable& table, const std::string& name) -> Status {
    STRATA_ASSIGN_OR_RETURN(delta::CommitResult result, table.Optimize());
    if (options.json) {
      out << ordered_json{{"table", name},
                          {"version", result.version >= 0 ? ordered_json(result.version)
                                                          : ordered_json(nullptr)},
                          {"metrics", result.metrics}}
                 .dump(2)
          << "\n";
      return Status::OK();
    }
    if (result.version < 0) {
      out << name << ": nothing to compact\n";
    } else {
      out << name << ": compacted into version " << result.version << " " << result.metrics.dump()
          << "\n";
    }
    return Status::OK();
  });
}

Status RunCheckpoint(const MaintenanceOptions& options, std::ostream& out) {
  return WithTable(options, [&](delta::DeltaTable& table, const std::string& name) -> Status {
    STRATA_ASSIGN_OR_RETURN(int64_t version, table.Checkpoint());
    if (options.json) {
      out << ordered_json{{"table", name}, {"checkpoint_version", version}}.dump(2) << "\n";
    } else {
      out << name << ": checkpoint written at version " << version << "\n";
    }
    return Status::OK();
  });
}

// One maintenance subcommand with the options every one of them takes.
CLI::App* AddMaintenance(CLI::App* table, const std::string& name, const std::string& help,
                         const std::shared_ptr<MaintenanceOptions>& options) {
  CLI::App* command = table->add_subcommand(name, help);
  command
      ->add_option("table", options->table,
                   "Table as layer.name (bronze.pedidos), or a Delta table path")
      ->required();
  command->add_option("--lake", options->lake, "Lake directory (default: ./lake)");
  command->add_flag("--json", options->json, "Print JSON");
  return command;
}

}  // namespace

void AddTableMaintenanceCommands(CLI::App* table, CommandContext& context) {
  auto vacuum_options = std::make_shared<MaintenanceOptions>();
  CLI::App* vacuum =
      AddMaintenance(table, "vacuum",
                     "Delete files no version within the retention references (never a live file)",
                     vacuum_options);
  vacuum
      ->add_option("--retain-hours", vacuum_options->retain_hours,
                   "Keep files needed to time travel this far back")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  vacuum->add_flag("--dry-run", vacuum_options->dry_run, "List what would be deleted");
  vacuum->add_flag("--allow-short-retention", vacuum_options->allow_short_retention,
                   "Permit --retain-hours below 168 (readers of old versions may break)");
  vacuum->callback([vacuum_options, &context] {
    context.action = [vacuum_options, &context] {
      return RunVacuum(*vacuum_options, *context.out);
    };
  });

  auto optimize_options = std::make_shared<MaintenanceOptions>();
  CLI::App* optimize = AddMaintenance(
      table, "optimize", "Compact small files into bigger ones (one commit)", optimize_options);
  optimize->callback([optimize_options, &context] {
    context.action = [optimize_options, &context] {
      return RunOptimize(*optimize_options, *context.out);
    };
  });

  auto checkpoint_options = std::make_shared<MaintenanceOptions>();
  CLI::App* checkpoint = AddMaintenance(table, "checkpoint",
                                        "Write a checkpoint of the latest version (faster loading)",
                                        checkpoint_options);
  checkpoint->callback([checkpoint_options, &context] {
    context.action = [checkpoint_options, &context] {
      return RunCheckpoint(*checkpoint_options, *context.out);
    };
  });
}

}  // namespace strata::cli
