// Bronze load time against DuckDB's own COPY (SELECT ... FROM read_csv(...)) TO parquet on the
// ImportAu itens_pedido.csv, at scale 1 (100k rows) in every test pass, where it checks that
// every row lands; STRATA_INGEST_BENCH=<scale> for the measured case (scale 10 and up, from an
// optimised build). Numbers are printed; the assertions are about correctness only.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "demo/importau_generator.h"
#include "ingest/file_reader.h"
#include "ingest/ingest_test_util.h"
#include "lake/lake.h"

namespace strata::ingest {
namespace {

// Wall and CPU (all threads) seconds since construction: the CPU time stays meaningful on a
// busy machine, where the wall time mostly measures the neighbours.
class Timer {
 public:
  Timer() : wall_(std::chrono::steady_clock::now()), cpu_(CpuSeconds()) {}
  std::string Text() const {
    char text[64];
    std::snprintf(text, sizeof(text), "%.3f s wall, %.3f s cpu",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count(),
                  CpuSeconds() - cpu_);
    return text;
  }

 private:
  static double CpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  }
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
};

TEST(IngestBench, ItensPedidoAgainstDuckDbCopy) {
  const char* scale_env = std::getenv("STRATA_INGEST_BENCH");
  const char* scale_text = scale_env != nullptr && *scale_env != '\0' ? scale_env : "1";
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
      Timer t;
      ASSERT_TRUE(db.conn
                      ->Execute("COPY (SELECT * FROM read_csv('" + csv + "', header=true, " +
                                columns + ", auto_detect=false)) TO '" + dir.path() +
                                "/plain.parquet' (FORMAT parquet, COMPRESSION zstd)")
                      .ok());
      std::printf("round %d: DuckDB COPY read_csv -> parquet                : %s\n", round,
                  t.Text().c_str());
      Timer r;
      ASSERT_TRUE(db.conn
                      ->Execute("COPY (SELECT * FROM read_csv('" + csv + "', header=true, " +
                                columns + ", auto_detect=false, store_rejects=true)) TO '" +
                                dir.path() + "/rejects.parquet' (FORMAT parquet, COMPRESSION zstd)")
                      .ok());
      std::printf("round %d: DuckDB COPY read_csv(store_rejects) -> parquet : %s\n", round,
                  r.Text().c_str());
    }
    {
      testing::Db db(0);
      Timer t;
      auto scan = ScanFile(csv, ScanOptionsFor(spec));
      ASSERT_TRUE(scan.ok());
      std::printf("round %d:   parts: SHA-256 + record scan                : %s\n", round,
                  t.Text().c_str());
      Timer s;
      ReadRequest request{&spec, spec.columns, csv, "itens_pedido.csv", 1, "__bench"};
      auto staged = StageFile(*db.conn, request, *scan);
      ASSERT_TRUE(staged.ok()) << staged.status();
      std::printf("round %d:   parts: stage (typed temp table, rejects)    : %s\n", round,
                  s.Text().c_str());
      Timer c;
      ASSERT_TRUE(db.conn
                      ->Execute("COPY (" + staged->data_sql + ") TO '" + dir.path() +
                                "/staged.parquet' (FORMAT parquet, COMPRESSION zstd)")
                      .ok());
      std::printf("round %d:   parts: COPY staged rows + lineage -> parquet: %s\n", round,
                  c.Text().c_str());
      Timer w;  // the options of the Delta writer (delta/data_writer.cc)
      ASSERT_TRUE(db.conn
                      ->Execute("COPY (" + staged->data_sql + ") TO '" + dir.path() +
                                "/staged2.parquet' (FORMAT parquet, COMPRESSION zstd, "
                                "ROW_GROUP_SIZE 122880, RETURN_STATS)")
                      .ok());
      std::printf("round %d:   parts: same COPY with the Delta writer's options: %s\n", round,
                  w.Text().c_str());
    }
    {
      testing::Db db(0);
      const std::string lake_dir = dir.path() + "/lake" + std::to_string(round);
      std::filesystem::create_directories(lake_dir);
      auto lake = lake::Lake::Open(lake_dir);
      ASSERT_TRUE(lake.ok()) << lake.status();
      Timer t;
      auto report = IngestFileSource(*lake, *db.conn, spec, landing);
      ASSERT_TRUE(report.ok()) << report.status();
      std::printf("round %d: strata IngestFileSource -> bronze Delta        : %s\n", round,
                  t.Text().c_str());
      ASSERT_EQ(report->files.size(), 1u);
      EXPECT_EQ(report->files[0].rows_loaded, counts->itens_pedido);
    }
  }
}

}  // namespace
}  // namespace strata::ingest
