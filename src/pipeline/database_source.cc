#include "pipeline/database_source.h"

#include <charconv>

#include "common/secrets.h"
#include "lake/lake.h"

namespace strata::pipeline {
namespace {

// "1s", "500ms", "2m", or a number of milliseconds.
Result<int64_t> Milliseconds(const YamlField& field) {
  STRATA_ASSIGN_OR_RETURN(std::string text, field.String());
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  int64_t scale = unit == "" || unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000 : 0;
  if (ec != std::errc() || scale == 0 || value <= 0) {
    return field.Error("expected a duration such as 500ms, 1s or 2m, got '" + text + "'");
  }
  return value * scale;
}

Result<int64_t> Positive(const YamlField& field) {
  STRATA_ASSIGN_OR_RETURN(int64_t v, field.Int());
  if (v <= 0) return field.Error("must be a positive number");
  return v;
}

}  // namespace

bool IsDatabaseSource(const YamlField& item) { return item.Has("kind"); }

Result<DatabaseSourceSpec> ParseDatabaseSource(const YamlField& item) {
  STRATA_RETURN_IF_ERROR(item.CheckKeys(
      {"name", "kind", "description", "owner", "tags", "connection", "password", "tables",
       "include", "exclude", "mode", "bronze", "layer", "commit_interval", "commit_rows",
       "snapshot_chunk_rows", "server_id", "on_lost_position", "follow"}));
  DatabaseSourceSpec out;
  out.where = item.location();
  ingest::mysql::MysqlSourceSpec& spec = out.spec;
  std::optional<YamlField> name = item.Get("name");
  if (!name) return item.Error("missing field 'name'");
  STRATA_ASSIGN_OR_RETURN(spec.name, name->String());
  Status valid = lake::ValidateNamePart("source name", spec.name);
  if (!valid.ok()) return name->Error(valid.message());
  STRATA_ASSIGN_OR_RETURN(std::string kind, item.Get("kind")->Choice({"mysql", "postgres"}));
  if (kind == "postgres") {
    return item.Get("kind")->Error("kind postgres is not supported yet (use mysql)");
  }
  std::optional<YamlField> connection = item.Get("connection");
  if (!connection) return item.Error("missing field 'connection' (mysql://user@host:port/db)");
  STRATA_ASSIGN_OR_RETURN(std::string url, connection->String());
  Result<ingest::mysql::ConnectionSpec> parsed = ingest::mysql::ParseMysqlUrl(url);
  if (!parsed.ok()) return connection->Error(parsed.status().message());
  spec.connection = *parsed;
  if (auto password = item.Get("password")) {
    STRATA_ASSIGN_OR_RETURN(out.password, password->String());
    if (!out.password.empty() && !HasSecretReference(out.password)) {
      return password->Error(
          "a password must not be written in a project file: use ${secret:NAME} (from "
          ".strata/secrets) or ${env:NAME}");
    }
  }
  STRATA_ASSIGN_OR_RETURN(spec.tables, GetStringList(item, "tables"));
  STRATA_ASSIGN_OR_RETURN(spec.include, GetStringList(item, "include"));
  STRATA_ASSIGN_OR_RETURN(spec.exclude, GetStringList(item, "exclude"));
  if (!spec.tables.empty() && (!spec.include.empty() || !spec.exclude.empty())) {
    return item.Get("tables")->Error("give either tables or include/exclude, not both");
  }
  if (auto mode = item.Get("mode")) {
    STRATA_ASSIGN_OR_RETURN(std::string m, mode->Choice({"cdc", "snapshot"}));
    spec.cdc = m == "cdc";
  }
  spec.bronze = spec.name + "_{table}";
  if (auto bronze = item.Get("bronze")) {
    STRATA_ASSIGN_OR_RETURN(spec.bronze, bronze->String());
  }
  if (spec.bronze.find("{table}") == std::string::npos) {
    return item.Get("bronze")->Error("the bronze name pattern must contain {table}");
  }
  if (auto layer = item.Get("layer")) {
    STRATA_ASSIGN_OR_RETURN(spec.layer, layer->String());
  }
  if (auto f = item.Get("commit_interval")) {
    STRATA_ASSIGN_OR_RETURN(spec.commit_interval_ms, Milliseconds(*f));
  }
  if (auto f = item.Get("commit_rows")) {
    STRATA_ASSIGN_OR_RETURN(spec.commit_rows, Positive(*f));
  }
  if (auto f = item.Get("snapshot_chunk_rows")) {
    STRATA_ASSIGN_OR_RETURN(spec.snapshot_chunk_rows, Positive(*f));
  }
  if (auto f = item.Get("server_id")) {
    STRATA_ASSIGN_OR_RETURN(int64_t id, Positive(*f));
    if (id > 4294967295LL) return f->Error("server_id must fit in 32 bits");
    spec.server_id = static_cast<uint32_t>(id);
  }
  if (auto f = item.Get("on_lost_position")) {
    STRATA_ASSIGN_OR_RETURN(std::string v, f->Choice({"fail", "resnapshot"}));
    spec.resnapshot_on_lost_position = v == "resnapshot";
  }
  if (auto f = item.Get("follow")) {
    STRATA_ASSIGN_OR_RETURN(out.follow, f->Bool());
  }
  return out;
}

Result<ingest::mysql::MysqlSourceSpec> ResolveDatabaseSource(const DatabaseSourceSpec& source,
                                                             const std::string& secrets_file) {
  ingest::mysql::MysqlSourceSpec spec = source.spec;
  Result<std::string> password = ResolveSecrets(source.password, secrets_file);
  if (!password.ok()) {
    return password.status().WithContext(source.where.ToString() + ": source " + spec.name +
                                         ": password");
  }
  spec.connection.password = *password;
  return spec;
}

}  // namespace strata::pipeline
