// strata init DIR / strata demo importau: create projects.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/app.h"
#include "cli/pipeline_support.h"
#include "cli/run_output.h"
#include "demo/importau_generator.h"
#include "pipeline/project.h"
#include "pipeline/runner.h"
#include "pipeline/scaffold.h"

namespace strata::cli {
namespace {

namespace fs = std::filesystem;

Status RunInit(const std::string& directory, CommandContext& context) {
  STRATA_RETURN_IF_ERROR(
      pipeline::WriteProjectFiles(directory, pipeline::InitProjectFiles(), /*require_empty=*/true));
  // Check what we wrote loads, so a broken template never reaches a user unnoticed.
  STRATA_RETURN_IF_ERROR(pipeline::LoadProject(directory).status());
  *context.out << "created project in " << directory << "\n"
               << "  strata.yaml, sources/sources.yaml, models/silver/pedidos_validos.{sql,yaml}, "
                  "landing/pedidos.csv\n"
               << "next:\n"
               << "  strata run --project " << directory << "\n"
               << "  cd " << directory
               << " && strata sql \"SELECT * FROM silver.pedidos_validos\"\n";
  return Status::OK();
}

struct DemoOptions {
  std::string dir = "./importau-demo";
  int scale = 1;
  uint64_t seed = 42;
  bool dirty = false;
  bool json = false;
};

Status RunImportAuDemo(const DemoOptions& options, CommandContext& context) {
  std::error_code ec;
  fs::path dir = fs::absolute(options.dir, ec).lexically_normal();
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec) && !fs::exists(dir / "strata.yaml", ec)) {
    return Status::AlreadyExists(options.dir +
                                 " is not empty and holds no strata project: choose another --dir");
  }
  // The project files are (re)written every time; the lake and the runs stay, so a second run
  // skips the files it already loaded.
  STRATA_RETURN_IF_ERROR(pipeline::WriteProjectFiles(dir.string(), pipeline::ImportAuProjectFiles(),
                                                     /*require_empty=*/false));
  auto start = std::chrono::steady_clock::now();
  demo::ImportAuOptions generate{options.scale, options.seed, options.dirty};
  STRATA_ASSIGN_OR_RETURN(demo::ImportAuCounts counts,
                          demo::GenerateImportAu((dir / "landing").string(), generate));
  double generated =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!options.json) {
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%.1fs", generated);
    *context.err << "generated 7 CSVs in " << dir.string()
                 << "/landing: " << GroupDigits(counts.total()) << " rows ("
                 << GroupDigits(counts.itens_pedido) << " order items";
    if (options.dirty) *context.err << ", " << GroupDigits(counts.dirty_rows) << " dirty";
    *context.err << ") in " << seconds << "\n";
  }
  STRATA_ASSIGN_OR_RETURN(pipeline::Project project, pipeline::LoadProject(dir.string()));
  pipeline::RunOptions run;
  if (!options.json) run.progress = TerminalProgress(*context.err);
  STRATA_ASSIGN_OR_RETURN(pipeline::RunRecord record, RunProjectPipeline(project, run));
  if (options.json) {
    *context.out << pipeline::RunRecordJson(record);
    return RunOutcome(record);
  }
  WriteRunSummary(record, *context.out);
  std::string d = dir.string();
  *context.out
      << "\nwhere to look:\n"
      << "  the project:   " << d << "/strata.yaml, sources/, models/silver/, models/gold/\n"
      << "  the lake:      " << d << "/lake/{bronze,silver,gold}/ (Delta tables)\n"
      << "  cash flow:     cd " << d
      << " && strata sql \"SELECT * FROM gold.agregado_fluxo_de_caixa_mensal ORDER BY mes, moeda "
         "LIMIT 12\"\n"
      << "  FX features:   cd " << d
      << " && strata sql \"SELECT * FROM gold.features_risco_cambial ORDER BY moeda, mes LIMIT "
         "12\"\n"
      << "  quarantine:    cd " << d
      << " && strata sql \"SELECT _rules, count(*) FROM "
         "silver.fato_pedido_correlacionado__quarantine GROUP BY ALL\"\n"
      << "  tests again:   strata test --project " << d << "\n"
      << "  new files:     put CSVs in " << d << "/landing/ and run strata run --project " << d
      << "\n";
  return RunOutcome(record);
}

}  // namespace

void AddProjectCommands(CLI::App& app, CommandContext& context) {
  auto directory = std::make_shared<std::string>();
  CLI::App* init = app.add_subcommand(
      "init", "Create a project (strata.yaml, a source, a model with tests, a sample file)");
  init->add_option("dir", *directory, "Directory to create (must be new or empty)")->required();
  init->callback([directory, &context] {
    context.action = [directory, &context] { return RunInit(*directory, context); };
  });

  auto options = std::make_shared<DemoOptions>();
  CLI::App* demo = app.add_subcommand("demo", "Run a demo pipeline end to end");
  demo->require_subcommand(1);
  CLI::App* importau = demo->add_subcommand(
      "importau",
      "ImportAu: generate 7 CSVs, load bronze, build silver and gold, test every layer");
  importau->add_option("--dir", options->dir, "Project directory")->capture_default_str();
  importau->add_option("--scale", options->scale, "Data size: 1 = about 100k order items")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  importau->add_option("--seed", options->seed, "Generator seed (same seed, same files)")
      ->capture_default_str();
  importau->add_flag("--dirty", options->dirty,
                     "Add broken rows (bad fields, duplicates, missing references) to see "
                     "quarantine at work");
  importau->add_flag("--json", options->json, "Print the run record as JSON");
  importau->callback([options, &context] {
    context.action = [options, &context] { return RunImportAuDemo(*options, context); };
  });
}

}  // namespace strata::cli
