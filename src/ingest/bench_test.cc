// Bronze load time against DuckDB's own COPY (SELECT ... FROM read_csv(...)) TO parquet on the
// ImportAu itens_pedido.csv. Opt-in (it generates hundreds of MB): STRATA_INGEST_BENCH=<scale>.
// Run it from an optimised build; numbers are printed, the only assertion is correctness.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "demo/importau_generator.h"
#include "ingest/file_reader.h"
#include "ingest/ingest_test_util.h"
#include "lake/lake.h"

namespace strata::ingest {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

TEST(IngestBench, ItensPedidoAgainstDuckDbCopy) {
  const char* scale_text = std::getenv("STRATA_INGEST_BENCH");
  if (scale_text == nullptr || *scale_text == '\0') GTEST_SKIP() << "set STRATA_INGEST_BENCH";
  testing::TempDir dir;
  const std::string landing = dir.path() + "/landing";
  auto counts = demo::GenerateImportAu(landing, {std::atoi(scale_text), 42, false});
  ASSERT_TRUE(counts.ok()) << counts.status();
  const std::string csv = landing + "/itens_pedido.csv";
  std::printf("itens_pedido.csv: %lld rows, %.1f MB\n",
              static_cast<long long>(counts->itens_pedido),
              static_cast<double>(std::filesystem::file_size(csv)) / 1e6);

  FileSourceSpec spec = testing::CsvSource("itens_pedido",
                                           {{"pedido_id", "BIGINT"},
                                            {"item_seq", "INTEGER"},
                                            {"produto_id", "BIGINT"},
                                            {"quantidade", "INTEGER"},
                                            {"preco_unitario", "DECIMAL(12,2)"}},
                                           "itens_pedido*.csv");
  spec.csv.date_format = "%Y-%m-%d";
  const std::string columns =
      "columns={'pedido_id': 'BIGINT', 'item_seq': 'INTEGER', 'produto_id': 'BIGINT', "
      "'quantidade': 'INTEGER', 'preco_unitario': 'DECIMAL(12,2)'}";
  for (int round = 0; round < 2; ++round) {
    {
      testing::Db db(0);
      auto start = std::chrono::steady_clock::now();
      ASSERT_TRUE(db.conn
                      ->Execute("COPY (SELECT * FROM read_csv('" + csv + "', header=true, " +
                                columns + ", auto_detect=false)) TO '" + dir.path() +
                                "/plain.parquet' (FORMAT parquet, COMPRESSION zstd)")
                      .ok());
      std::printf("round %d: DuckDB COPY read_csv -> parquet:               %.3f s\n", round,
                  Seconds(start));
      start = std::chrono::steady_clock::now();
      ASSERT_TRUE(db.conn
                      ->Execute("COPY (SELECT * FROM read_csv('" + csv + "', header=true, " +
                                columns + ", auto_detect=false, store_rejects=true)) TO '" +
                                dir.path() + "/rejects.parquet' (FORMAT parquet, COMPRESSION zstd)")
                      .ok());
      std::printf("round %d: DuckDB COPY read_csv(store_rejects) -> parquet: %.3f s\n", round,
                  Seconds(start));
    }
    {
      auto start = std::chrono::steady_clock::now();
      auto scan = ScanFile(csv, ScanOptionsFor(spec));
      ASSERT_TRUE(scan.ok());
      std::printf("round %d:   of which SHA-256 + record scan:             %.3f s\n", round,
                  Seconds(start));
    }
    {
      testing::Db db(0);
      const std::string lake_dir = dir.path() + "/lake" + std::to_string(round);
      std::filesystem::create_directories(lake_dir);
      auto lake = lake::Lake::Open(lake_dir);
      ASSERT_TRUE(lake.ok()) << lake.status();
      auto start = std::chrono::steady_clock::now();
      auto report = IngestFileSource(*lake, *db.conn, spec, landing);
      ASSERT_TRUE(report.ok()) << report.status();
      std::printf("round %d: strata IngestFileSource -> bronze Delta:       %.3f s\n", round,
                  Seconds(start));
      ASSERT_EQ(report->files.size(), 1u);
      EXPECT_EQ(report->files[0].rows_loaded, counts->itens_pedido);
    }
  }
}

}  // namespace
}  // namespace strata::ingest
