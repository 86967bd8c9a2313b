#include "cli/source_sync.h"

#include <algorithm>

namespace strata::cli {

Result<std::vector<const pipeline::DatabaseSourceSpec*>> ChooseDatabaseSources(
    const pipeline::Project& project, const std::vector<std::string>& names, bool follow_only) {
  std::vector<const pipeline::DatabaseSourceSpec*> out;
  for (const std::string& name : names) {
    auto it = std::find_if(project.database_sources.begin(), project.database_sources.end(),
                           [&](const auto& s) { return s.spec.name == name; });
    if (it == project.database_sources.end()) {
      return Status::NotFound("no database source named '" + name + "' in " + project.root +
                              "/sources/");
    }
    out.push_back(&*it);
  }
  if (names.empty()) {
    for (const auto& s : project.database_sources) {
      if (!follow_only || s.follow) out.push_back(&s);
    }
  }
  return out;
}

nlohmann::json SyncReportJson(const std::string& source, const ingest::mysql::SyncReport& r) {
  return {{"source", source},
          {"snapshot_rows", r.snapshot_rows},
          {"change_rows", r.change_rows},
          {"transactions", r.transactions},
          {"commits", r.commits},
          {"position", r.position.ToJson()},
          {"max_lag_seconds", r.max_lag_seconds},
          {"resnapshotted", r.resnapshotted}};  // tables snapshotted again (lost position)
}

Result<nlohmann::json> SyncDatabaseSources(const pipeline::Project& project,
                                           const std::vector<std::string>& names,
                                           std::ostream* progress) {
  nlohmann::json reports = nlohmann::json::array();
  STRATA_ASSIGN_OR_RETURN(std::vector<const pipeline::DatabaseSourceSpec*> chosen,
                          ChooseDatabaseSources(project, names, false));
  if (chosen.empty()) return reports;
  STRATA_ASSIGN_OR_RETURN(lake::Lake lake, lake::Lake::Open(project.StoragePath()));
  STRATA_ASSIGN_OR_RETURN(auto db, engine::Database::Open({}));
  STRATA_ASSIGN_OR_RETURN(auto conn, db->Connect());
  for (const pipeline::DatabaseSourceSpec* source : chosen) {
    STRATA_ASSIGN_OR_RETURN(ingest::mysql::MysqlSourceSpec spec,
                            pipeline::ResolveDatabaseSource(*source, project.SecretsPath()));
    ingest::mysql::MysqlSource mysql(lake, *conn, spec, project.SourceStatePath());
    auto show = [&](const ingest::mysql::SyncProgress& p) {
      if (progress == nullptr) return;
      *progress << spec.name << "." << p.table << ": " << p.phase << " " << p.rows
                << (p.total > 0 ? " of ~" + std::to_string(p.total) : std::string()) << " rows at "
                << p.position << std::endl;
    };
    STRATA_ASSIGN_OR_RETURN(ingest::mysql::SyncReport report, mysql.Sync(nullptr, show));
    reports.push_back(SyncReportJson(spec.name, report));
  }
  return reports;
}

}  // namespace strata::cli
