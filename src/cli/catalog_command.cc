// strata catalog crawl|search|show|set-owner|tag|untag|describe|classify: the data catalog
// from the command line (catalog/catalog.h holds the semantics).
#include <cmath>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "catalog/catalog.h"
#include "catalog/crawler.h"
#include "catalog/json.h"
#include "catalog/location.h"
#include "cli/app.h"
#include "engine/engine.h"

namespace strata::cli {
namespace {

using nlohmann::json;

struct CatalogOptions {
  std::string project = ".";
  std::string catalog;
  bool json = false;
  // Subcommand arguments.
  std::string target;
  std::string value;
  std::string class_name;
  bool glossary = false;
  bool confirm = false;
  bool reject = false;
  bool no_classify = false;
  int limit = 20;
};

// Reading commands refuse to invent an empty SQLite catalog where none exists.
Result<std::unique_ptr<catalog::Catalog>> OpenCatalog(const CatalogOptions& o, bool create) {
  STRATA_ASSIGN_OR_RETURN(std::string location,
                          catalog::ResolveCatalogLocation(o.project, o.catalog));
  if (!create && !catalog::IsPostgresUrl(location) && !std::filesystem::exists(location)) {
    return Status::NotFound(
        "no catalog at " + location +
        " (run the project or 'strata catalog crawl' first, or pass --catalog)");
  }
  return catalog::Catalog::Open(location);
}

// The whole asset (catalog/json.h: the same shape as the HTTP API's table detail).
Result<json> ShowJson(catalog::Catalog& c, const std::string& name) {
  return catalog::AssetDetailJson(c, name);
}

void PrintShow(const json& j, std::ostream& out) {
  out << j["name"].get<std::string>() << " (" << j["kind"].get<std::string>() << ")\n";
  for (const char* key : {"description", "owner", "format", "location", "data_updated_at"}) {
    if (j[key].is_string() && !j[key].get<std::string>().empty()) {
      out << "  " << key << ": " << j[key].get<std::string>() << "\n";
    }
  }
  for (const char* key : {"version", "row_count"}) {
    if (!j[key].is_null()) out << "  " << key << ": " << j[key].dump() << "\n";
  }
  for (const char* key : {"tags", "glossary", "upstream", "downstream"}) {
    if (!j[key].empty()) out << "  " << key << ": " << j[key].dump() << "\n";
  }
  if (j.contains("columns")) {
    out << "  columns:\n";
    for (const json& c : j["columns"]) {
      out << "    " << c["name"].get<std::string>() << " " << c["type"].get<std::string>();
      for (const json& k : c["classifications"]) {
        if (k["status"] != "rejected")
          out << " [" << k["class"].get<std::string>() << " " << k["status"].get<std::string>()
              << "]";
      }
      if (!c["description"].get<std::string>().empty())
        out << "  -- " << c["description"].get<std::string>();
      out << "\n";
    }
  }
  if (j.contains("classifications")) {
    for (const json& k : j["classifications"]) out << "  class: " << k.dump() << "\n";
  }
}

Status RunCrawl(const CatalogOptions& o, CommandContext& ctx) {
  STRATA_ASSIGN_OR_RETURN(auto c, OpenCatalog(o, true));
  STRATA_ASSIGN_OR_RETURN(auto db, engine::Database::Open({}));
  STRATA_ASSIGN_OR_RETURN(auto conn, db->Connect());
  catalog::CrawlOptions options;
  options.classify = !o.no_classify;
  STRATA_ASSIGN_OR_RETURN(catalog::CrawlReport report,
                          catalog::Crawl(*c, *conn, o.target, options));
  if (o.json) {
    json tables = json::array();
    for (const auto& t : report.tables) {
      tables.push_back({{"name", t.name},
                        {"format", t.format},
                        {"partition_columns", t.partition_columns},
                        {"row_count", t.row_count},
                        {"created", t.outcome.created},
                        {"schema_changed", t.outcome.schema_changed},
                        {"changes", t.outcome.changes},
                        {"classified", t.classified}});
    }
    *ctx.out << json({{"tables", tables}, {"skipped", report.skipped}}).dump(2) << "\n";
    return Status::OK();
  }
  for (const auto& t : report.tables) {
    *ctx.out << (t.outcome.created          ? "added   "
                 : t.outcome.schema_changed ? "changed "
                                            : "same    ")
             << t.name << " (" << t.format << ", " << t.row_count << " rows)";
    if (t.outcome.schema_changed && !t.outcome.created) *ctx.out << ": " << t.outcome.changes;
    *ctx.out << "\n";
    for (const std::string& line : t.classified) *ctx.out << "          " << line << "\n";
  }
  for (const std::string& s : report.skipped) *ctx.out << "skipped " << s << "\n";
  *ctx.out << report.tables.size() << " data sets crawled, " << report.skipped.size()
           << " skipped\n";
  return Status::OK();
}

Status RunSearch(const CatalogOptions& o, CommandContext& ctx) {
  STRATA_ASSIGN_OR_RETURN(auto c, OpenCatalog(o, false));
  STRATA_ASSIGN_OR_RETURN(auto hits, c->Search(o.target, o.limit));
  if (o.json) {
    json out = json::array();
    for (const auto& h : hits) {
      out.push_back({{"name", h.name},
                     {"kind", h.kind},
                     {"description", h.description},
                     {"owner", h.owner},
                     {"score", std::round(h.score * 1000) / 1000}});
    }
    *ctx.out << out.dump(2) << "\n";
    return Status::OK();
  }
  for (const auto& h : hits) {
    std::string description =
        h.description.size() > 70 ? h.description.substr(0, 67) + "..." : h.description;
    *ctx.out << h.kind << "\t" << h.name << "\t" << description << "\n";
  }
  if (hits.empty()) *ctx.out << "no matches\n";
  return Status::OK();
}

Status RunEdit(const std::string& verb, const CatalogOptions& o, CommandContext& ctx) {
  STRATA_ASSIGN_OR_RETURN(auto c, OpenCatalog(o, false));
  std::string kind = o.glossary ? "glossary" : "tag";
  if (verb == "set-owner") STRATA_RETURN_IF_ERROR(c->SetOwner(o.target, o.value));
  if (verb == "describe") STRATA_RETURN_IF_ERROR(c->SetDescription(o.target, o.value));
  if (verb == "tag") STRATA_RETURN_IF_ERROR(c->AddLabel(o.target, kind, o.value));
  if (verb == "untag") STRATA_RETURN_IF_ERROR(c->RemoveLabel(o.target, kind, o.value));
  if (verb == "classify") {
    if (o.confirm && o.reject)
      return Status::InvalidArgument("--confirm and --reject exclude each other");
    if ((o.confirm || o.reject) && o.value.empty()) {
      return Status::InvalidArgument("name the class to " +
                                     std::string(o.confirm ? "confirm" : "reject"));
    }
    if (o.confirm) STRATA_RETURN_IF_ERROR(c->ConfirmClassification(o.target, o.value));
    if (o.reject) STRATA_RETURN_IF_ERROR(c->RejectClassification(o.target, o.value));
    STRATA_ASSIGN_OR_RETURN(json shown, ShowJson(*c, o.target));
    json classes = shown.contains("classifications") ? shown["classifications"] : json::array();
    if (o.json) {
      *ctx.out << classes.dump(2) << "\n";
    } else {
      for (const json& k : classes) {
        *ctx.out << k["class"].get<std::string>() << "\t" << k["status"].get<std::string>() << "\t"
                 << k["confidence"].dump() << "\t" << k["method"].get<std::string>() << "\n";
      }
      if (classes.empty()) *ctx.out << "no classifications\n";
    }
    return Status::OK();
  }
  if (o.json) {
    STRATA_ASSIGN_OR_RETURN(json shown, ShowJson(*c, o.target));
    *ctx.out << shown.dump(2) << "\n";
  }
  return Status::OK();
}

}  // namespace

void AddCatalogCommand(CLI::App& app, CommandContext& context) {
  auto o = std::make_shared<CatalogOptions>();
  CLI::App* cat =
      app.add_subcommand("catalog", "Search, inspect, crawl and annotate the data catalog");
  cat->require_subcommand(1);
  auto common = [o](CLI::App* sub, bool json_flag) {
    sub->add_option("--project", o->project, "Project directory (default: the current one)");
    sub->add_option(
        "--catalog", o->catalog,
        "Catalog location: a SQLite file or postgresql:// URL (default: strata.yaml's catalog:)");
    if (json_flag) sub->add_flag("--json", o->json, "Machine-readable output");
  };
  auto set_action = [&context](CLI::App* sub, std::function<Status()> run) {
    sub->callback([&context, run] { context.action = run; });
  };

  CLI::App* crawl =
      cat->add_subcommand("crawl", "Walk a directory and register the data sets found");
  crawl->add_option("path", o->target, "Directory or file to crawl")->required();
  crawl->add_flag("--no-classify", o->no_classify, "Do not sample values for PII classification");
  common(crawl, true);
  set_action(crawl, [o, &context] { return RunCrawl(*o, context); });

  CLI::App* search = cat->add_subcommand("search", "Find tables, columns, pipelines and tasks");
  search->add_option("terms", o->target, "Words to look for (accents and case do not matter)")
      ->required();
  search->add_option("--limit", o->limit, "Maximum results")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  common(search, true);
  set_action(search, [o, &context] { return RunSearch(*o, context); });

  CLI::App* show = cat->add_subcommand(
      "show", "Show an asset: columns, classes, owners, tags, versions, lineage");
  show->add_option("name", o->target, "Asset name, e.g. gold.features_risco_cambial")->required();
  common(show, true);
  set_action(show, [o, &context]() -> Status {
    STRATA_ASSIGN_OR_RETURN(auto c, OpenCatalog(*o, false));
    STRATA_ASSIGN_OR_RETURN(json shown, ShowJson(*c, o->target));
    if (o->json) {
      *context.out << shown.dump(2) << "\n";
    } else {
      PrintShow(shown, *context.out);
    }
    return Status::OK();
  });

  struct Edit {
    const char* verb;
    const char* help;
    const char* value_name;
    const char* value_help;
  };
  for (const Edit& e :
       {Edit{"set-owner", "Set the owner of an asset", "owner", "The new owner"},
        Edit{"describe", "Set the description of an asset", "text", "The description"},
        Edit{"tag", "Add a business tag (or glossary term) to an asset", "tag", "The tag"},
        Edit{"untag", "Remove a tag (or glossary term) from an asset", "tag", "The tag"}}) {
    CLI::App* sub = cat->add_subcommand(e.verb, e.help);
    sub->add_option("name", o->target, "Asset name (table, column, pipeline or task)")->required();
    sub->add_option(e.value_name, o->value, e.value_help)->required();
    if (std::string(e.verb) == "tag" || std::string(e.verb) == "untag") {
      sub->add_flag("--glossary", o->glossary, "A glossary term instead of a tag");
    }
    common(sub, true);
    std::string verb = e.verb;
    set_action(sub, [o, &context, verb] { return RunEdit(verb, *o, context); });
  }

  CLI::App* classify =
      cat->add_subcommand("classify", "Show, confirm or reject a column's classes");
  classify->add_option("column", o->target, "Column, e.g. bronze.clientes.cpf_responsavel")
      ->required();
  classify->add_option("class", o->value, "Class to confirm or reject, e.g. CPF");
  CLI::Option* confirm = classify->add_flag("--confirm", o->confirm, "Confirm the class");
  classify->add_flag("--reject", o->reject, "Reject the class (it is never proposed again)")
      ->excludes(confirm);
  common(classify, true);
  set_action(classify, [o, &context] { return RunEdit("classify", *o, context); });
}

}  // namespace strata::cli
