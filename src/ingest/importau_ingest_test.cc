// The real ImportAu source contract (examples/importau/sources/importau.yaml) over the dirty
// generated data: every source reconciles, rows read = loaded + quarantined, in the reports and
// in the Delta tables themselves.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>

#include "demo/importau_generator.h"
#include "ingest/file_source_test_util.h"

namespace strata::ingest {
namespace {

using testing::Count;

// Reads the sources file the way a project would: defaults, then each source's own fields.
std::vector<FileSourceSpec> LoadImportAuSources() {
  YAML::Node root =
      YAML::LoadFile(std::string(STRATA_SOURCE_DIR) + "/examples/importau/sources/importau.yaml");
  const YAML::Node defaults = root["defaults"];
  std::vector<FileSourceSpec> specs;
  for (const YAML::Node& item : root["sources"]) {
    FileSourceSpec spec;
    spec.name = item["name"].as<std::string>();
    spec.table = {defaults["layer"].as<std::string>("bronze"), spec.name};
    spec.format = item["format"] ? item["format"].as<std::string>()
                                 : defaults["format"].as<std::string>("csv");
    const YAML::Node csv = defaults["csv"];
    spec.csv.delimiter = csv["delimiter"].as<std::string>(",");
    spec.csv.header = csv["header"].as<bool>(true);
    spec.csv.quote = csv["quote"].as<std::string>("\"");
    spec.csv.date_format = csv["date_format"].as<std::string>("");
    EXPECT_EQ(csv["decimal"].as<std::string>("."), ".");
    spec.file_patterns = {item["files"].as<std::string>()};
    spec.description = item["description"].as<std::string>("");
    for (const YAML::Node& key : item["key"]) spec.key.push_back(key.as<std::string>());
    for (const YAML::Node& column : item["columns"]) {
      spec.columns.push_back({column["name"].as<std::string>(), column["type"].as<std::string>(),
                              column["description"].as<std::string>(""),
                              column["pii"].as<std::string>("")});
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

class ImportAuIngest : public testing::LakeFixture {};

TEST_F(ImportAuIngest, EverySourceReconcilesOnDirtyData) {
  auto counts = demo::GenerateImportAu(landing_.path(), {1, 42, true});
  ASSERT_TRUE(counts.ok()) << counts.status();
  const std::map<std::string, int64_t> expected_rows = {
      {"clientes", counts->clientes},         {"fornecedores", counts->fornecedores},
      {"produtos", counts->produtos},         {"pedidos", counts->pedidos},
      {"itens_pedido", counts->itens_pedido}, {"cambio", counts->cambio},
      {"pagamentos", counts->pagamentos}};
  std::vector<FileSourceSpec> sources = LoadImportAuSources();
  ASSERT_EQ(sources.size(), 7u);
  int64_t quarantined_total = 0;
  for (const FileSourceSpec& spec : sources) {
    SCOPED_TRACE(spec.name);
    IngestReport report = Ingest(spec);
    ASSERT_EQ(report.files.size(), 1u);
    const FileOutcome& file = report.files[0];
    ASSERT_EQ(file.state, FileState::kLoaded) << file.reason;
    EXPECT_EQ(file.file, spec.name + ".csv");
    EXPECT_EQ(file.rows_read, expected_rows.at(spec.name));
    EXPECT_EQ(file.rows_read, file.rows_loaded + file.rows_quarantined);
    // The tables agree with the report.
    EXPECT_EQ(TableCount("bronze." + spec.name), file.rows_loaded);
    std::string rows = "SELECT _source_file, _source_row FROM " + View("bronze." + spec.name);
    if (file.rows_quarantined > 0) {
      EXPECT_EQ(TableCount("bronze." + spec.name + "__quarantine"), file.rows_quarantined);
      std::string quarantine = View("bronze." + spec.name + "__quarantine");
      EXPECT_EQ(Count(*db_.conn, "SELECT count(*) FROM " + quarantine +
                                     " WHERE _raw_line IS NULL OR _raw_line = '' OR _reason IS "
                                     "NULL OR _source_file <> '" +
                                     file.file + "'"),
                0);
      rows += " UNION ALL SELECT _source_file, _source_row FROM " + quarantine;
    }
    // Every record of the file is in exactly one of the two tables: rows 1..read, once each.
    EXPECT_EQ(Count(*db_.conn,
                    "SELECT count(DISTINCT _source_row) FILTER (WHERE _source_row "
                    "BETWEEN 1 AND " +
                        std::to_string(file.rows_read) + ") - count(*) FROM (" + rows + ")"),
              0);
    EXPECT_EQ(Count(*db_.conn, "SELECT count(*) FROM (" + rows + ")"), file.rows_read);
    quarantined_total += file.rows_quarantined;
  }
  // The generator breaks rows in ways that must not type (bad numbers, dates, field counts).
  EXPECT_GT(quarantined_total, 0);
  EXPECT_LE(quarantined_total, counts->dirty_rows);
  // The contract's types reached the table.
  EXPECT_EQ(
      testing::Rows(*db_.conn, "SELECT column_type FROM (DESCRIBE " + View("bronze.itens_pedido") +
                                   ") WHERE column_name = 'preco_unitario'"),
      (std::vector<std::string>{"DECIMAL(12,2)"}));
}

}  // namespace
}  // namespace strata::ingest
