// strata lineage TABLE[.COLUMN]: where data comes from and where it goes, table by table or
// column by column, from the catalog's lineage graph.
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "catalog/catalog.h"
#include "catalog/json.h"
#include "catalog/location.h"
#include "cli/app.h"

namespace strata::cli {
namespace {

using nlohmann::json;

struct LineageOptions {
  std::string name;
  std::string project = ".";
  std::string catalog;
  bool upstream = false;
  bool downstream = false;
  int depth = 0;
  bool json = false;
};

Status RunLineage(const LineageOptions& o, CommandContext& ctx) {
  STRATA_ASSIGN_OR_RETURN(std::string location,
                          catalog::ResolveCatalogLocation(o.project, o.catalog));
  if (!catalog::IsPostgresUrl(location) && !std::filesystem::exists(location)) {
    return Status::NotFound("no catalog at " + location +
                            " (run the project first, or pass --catalog)");
  }
  STRATA_ASSIGN_OR_RETURN(auto c, catalog::Catalog::Open(location));
  catalog::LineageDirection direction = o.upstream     ? catalog::LineageDirection::kUpstream
                                        : o.downstream ? catalog::LineageDirection::kDownstream
                                                       : catalog::LineageDirection::kBoth;
  STRATA_ASSIGN_OR_RETURN(catalog::LineageGraph g, c->Lineage(o.name, direction, o.depth));
  if (o.json) {
    json nodes = json::array(), edges = json::array();
    for (const auto& n : g.nodes) nodes.push_back(catalog::LineageNodeJson(n));
    for (const auto& e : g.edges) edges.push_back(catalog::LineageEdgeJson(e));
    *ctx.out << json({{"root", g.root}, {"nodes", nodes}, {"edges", edges}}).dump(2) << "\n";
    return Status::OK();
  }
  *ctx.out << g.root << "\n";
  for (const auto& e : g.edges) {
    *ctx.out << "  " << e.from << " -> " << e.to << "  (" << e.transformation << " " << e.subtype
             << (e.job.empty() ? "" : ", " + e.job) << ")\n";
  }
  if (g.edges.empty()) *ctx.out << "  no lineage recorded\n";
  return Status::OK();
}

}  // namespace

void AddLineageCommand(CLI::App& app, CommandContext& context) {
  auto o = std::make_shared<LineageOptions>();
  CLI::App* lineage = app.add_subcommand("lineage", "Show the lineage of a table or column");
  lineage
      ->add_option("name", o->name,
                   "TABLE or TABLE.COLUMN, e.g. gold.agregado_fluxo_de_caixa_mensal")
      ->required();
  CLI::Option* up = lineage->add_flag("--upstream", o->upstream, "Only where it comes from");
  lineage->add_flag("--downstream", o->downstream, "Only where it goes")->excludes(up);
  lineage->add_option("--depth", o->depth, "Hops to follow (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  lineage->add_flag("--json", o->json, "Machine-readable output");
  lineage->add_option("--project", o->project, "Project directory (default: the current one)");
  lineage->add_option("--catalog", o->catalog,
                      "Catalog location: a SQLite file or postgresql:// URL");
  lineage->callback(
      [o, &context] { context.action = [o, &context] { return RunLineage(*o, context); }; });
}

}  // namespace strata::cli
