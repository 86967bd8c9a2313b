// Catalog search over 100k assets: p50/p95/p99 latency of `Catalog::Search` against a
// baseline, a LIKE scan over the same assets in the same database, on the same queries; on
// SQLite (FTS5, the default store) and on PostgreSQL (tsvector + GIN). Target: p95 < 50 ms on
// each store; one PASS/FAIL line per store, exit status 1 if any fails.
//
//   build/bench/catalog_search_bench [assets=100000] [queries=400] [sqlite|postgres|both]
//
// PostgreSQL: STRATA_BENCH_POSTGRES_URL names an existing empty database; otherwise the bench
// starts its own server on loopback (catalog/pg_test_server.h, Debian's PostgreSQL 15).
// STRATA_BENCH_KEEP=1 keeps the SQLite catalog in $TMPDIR/strata-catalog-bench and reuses it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/pg_test_server.h"

namespace {

using strata::catalog::Catalog;
using strata::catalog::ColumnMetadata;
using strata::catalog::TableMetadata;

// Words of a Brazilian data platform, with accents, so queries exercise folding.
const std::vector<std::string> kWords = {
    "pedido",       "cliente",  "fornecedor", "câmbio",     "pagamento",   "fatura",
    "estoque",      "produto",  "importação", "exportação", "risco",       "cambial",
    "fluxo",        "caixa",    "mensal",     "diário",     "receita",     "despesa",
    "imposto",      "frete",    "contrato",   "previsão",   "forecast",    "margem",
    "crédito",      "débito",   "cobrança",   "entrega",    "logística",   "armazém",
    "vendas",       "compras",  "orçamento",  "auditoria",  "conciliação", "tesouraria",
    "investimento", "ativo",    "passivo",    "balanço",    "lucro",       "custo",
    "preço",        "desconto", "campanha",   "marketing",  "usuário",     "sessão",
    "evento",       "clique"};
const std::vector<std::string> kOwners = {"time-ingestao",      "time-engenharia", "time-financas",
                                          "time-ciencia-dados", "time-marketing",  "time-vendas"};
const std::vector<std::string> kTags = {"Core Domain", "Market Data", "BI",  "ML",
                                        "Financeiro",  "Cadastro",    "PII", "Regulatório"};

uint64_t Next(uint64_t& state) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}
const std::string& Pick(const std::vector<std::string>& v, uint64_t& s) {
  return v[Next(s) % v.size()];
}

std::string Ascii(const std::string& word) {  // table names carry no accents
  std::string out;
  for (size_t i = 0; i < word.size(); ++i) {
    unsigned char c = word[i];
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c == 0xc3 && i + 1 < word.size()) {
      unsigned char d = word[++i];
      out += d == 0xa7                  ? 'c'
             : (d >= 0xa0 && d <= 0xa5) ? 'a'
             : (d >= 0xa8 && d <= 0xab) ? 'e'
             : (d >= 0xac && d <= 0xaf) ? 'i'
             : (d >= 0xb2 && d <= 0xb6) ? 'o'
                                        : 'u';
    }
  }
  return out;
}

// The first `chars` characters of UTF-8 text (never half a character: PostgreSQL rejects it).
std::string Utf8Prefix(const std::string& text, size_t chars) {
  size_t end = 0;
  for (size_t seen = 0; end < text.size() && seen < chars; ++seen) {
    ++end;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) ++end;
  }
  return text.substr(0, end);
}

// The machine's 1-minute load average (other builds and tests share it): latencies are wall
// clock, so a loaded machine inflates them.
std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "?" : one;
}

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Loads `assets` assets into the catalog at `location`, runs `n_queries` searches and the
// baseline, prints the numbers; returns the p95 in ms, or a negative number on an error.
double RunOn(const std::string& label, const std::string& location, int assets, int n_queries) {
  auto opened = Catalog::Open(location);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s: open: %s\n", label.c_str(), opened.status().ToString().c_str());
    return -1;
  }
  Catalog& catalog = **opened;
  const int kColumns = 9;  // each table is 1 + 9 assets
  // A kept catalog (STRATA_BENCH_KEEP) that already holds the assets is not loaded again; the
  // generator still runs so the queries are the same.
  auto before = catalog.store().Query("SELECT count(*) FROM assets WHERE kind = 'table'");
  bool load = !before.ok() || (*before)[0].Int(0) * (kColumns + 1) < assets;
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto load_start = std::chrono::steady_clock::now();
  const char* layers[] = {"bronze", "silver", "gold"};
  for (int t = 0; t * (kColumns + 1) < assets; ++t) {
    TableMetadata table;
    std::string a = Pick(kWords, seed), b = Pick(kWords, seed), c = Pick(kWords, seed);
    table.name =
        std::string(layers[t % 3]) + "." + Ascii(a) + "_" + Ascii(b) + "_" + std::to_string(t);
    table.description = "Tabela de " + a + " por " + b + " e " + c + ", atualizada diariamente.";
    table.owner = Pick(kOwners, seed);
    table.tags = {Pick(kTags, seed)};
    if (t % 5 == 0) table.glossary = {Pick(kWords, seed)};
    for (int k = 0; k < kColumns; ++k) {
      std::string w = Pick(kWords, seed);
      table.columns.push_back(
          {Ascii(w) + "_" + std::to_string(k), "VARCHAR", "Valor de " + w + ".", {}, ""});
    }
    table.version = 0;
    table.row_count = static_cast<int64_t>(Next(seed) % 1000000);
    if (!load) continue;
    if (auto r = catalog.UpsertTable(table); !r.ok()) {
      std::fprintf(stderr, "%s: load: %s\n", label.c_str(), r.status().ToString().c_str());
      return -1;
    }
  }
  double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  auto count =
      catalog.store().Query("SELECT count(*) FROM assets WHERE kind IN ('table', 'column')");
  std::printf("%s: %s %s assets in %.1f s\n", label.c_str(), load ? "loaded" : "reused",
              count.ok() ? (*count)[0].Text(0).c_str() : "?", load_s);
  std::fflush(stdout);

  // Queries: single words (folded and accented, any case), two words, prefixes, owners.
  std::vector<std::string> queries;
  for (int i = 0; i < n_queries; ++i) {
    switch (i % 5) {
      case 0:
        queries.push_back(Pick(kWords, seed));
        break;
      case 1:
        queries.push_back(Ascii(Pick(kWords, seed)) + " " + Pick(kWords, seed));
        break;
      case 2:
        queries.push_back(Utf8Prefix(Pick(kWords, seed), 4));
        break;
      case 3:
        queries.push_back(Pick(kOwners, seed));
        break;
      default:
        queries.push_back("RISCO " + Pick(kWords, seed));
        break;
    }
  }
  static const char* const kShapes[] = {"one word", "two words", "prefix", "owner",
                                        "upper case + word"};
  std::vector<double> strata_ms, baseline_ms, cpu_ms;
  std::vector<std::vector<double>> by_shape(5);
  for (size_t i = 0; i < queries.size(); ++i) {
    const std::string& q = queries[i];
    double cpu_start = ThreadCpuMs();
    auto start = std::chrono::steady_clock::now();
    auto hits = catalog.Search(q, 20);
    strata_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    cpu_ms.push_back(ThreadCpuMs() - cpu_start);
    by_shape[i % 5].push_back(strata_ms.back());
    if (!hits.ok()) {
      std::fprintf(stderr, "%s: search %s: %s\n", label.c_str(), q.c_str(),
                   hits.status().ToString().c_str());
      return -1;
    }
    // Baseline: what a catalog without a full-text index does to rank: scan every asset
    // with case-insensitive LIKE on the first term, name matches first.
    std::string term = "%" + q.substr(0, q.find(' ')) + "%";
    start = std::chrono::steady_clock::now();
    auto scan = catalog.store().Query(
        "SELECT name FROM assets WHERE removed = 0 AND (lower(name) LIKE ? OR "
        "lower(description) LIKE ? OR lower(owner) LIKE ?) ORDER BY (lower(name) LIKE ?) DESC, "
        "length(name) LIMIT 20",
        {term, term, term, term});
    baseline_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    if (!scan.ok()) {
      std::fprintf(stderr, "%s: baseline: %s\n", label.c_str(), scan.status().ToString().c_str());
      return -1;
    }
  }
  double p95 = Percentile(strata_ms, 0.95);
  std::printf(
      "%s: catalog search, %zu queries: p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms\n",
      label.c_str(), strata_ms.size(), Percentile(strata_ms, 0.5), p95, Percentile(strata_ms, 0.99),
      Percentile(strata_ms, 1.0));
  std::printf(
      "%s: baseline LIKE scan + sort:     p50 %.2f ms  p95 %.2f ms (no folding, no ranking)\n",
      label.c_str(), Percentile(baseline_ms, 0.5), Percentile(baseline_ms, 0.95));
  std::printf("%s: ratio p95 strata/baseline: %.2f (load average %s on %u cores)\n", label.c_str(),
              p95 / Percentile(baseline_ms, 0.95), LoadAverage().c_str(),
              std::thread::hardware_concurrency());
  // CPU time of this thread per search: the work itself, whatever the load (for PostgreSQL only
  // the client's share; the server's work is not in it).
  std::printf("%s: search CPU time in this process: p50 %.2f ms  p95 %.2f ms\n", label.c_str(),
              Percentile(cpu_ms, 0.5), Percentile(cpu_ms, 0.95));
  for (size_t k = 0; k < by_shape.size(); ++k) {
    if (by_shape[k].empty()) continue;
    std::printf("%s:   %-18s p50 %.2f ms  p95 %.2f ms\n", label.c_str(), kShapes[k],
                Percentile(by_shape[k], 0.5), Percentile(by_shape[k], 0.95));
  }
  std::fflush(stdout);
  return p95;
}

}  // namespace

int main(int argc, char** argv) {
  int assets = argc > 1 ? std::atoi(argv[1]) : 100000;
  int n_queries = argc > 2 ? std::atoi(argv[2]) : 400;
  std::string stores = argc > 3 ? argv[3] : "both";
  if (assets <= 0 || n_queries <= 0 ||
      (stores != "sqlite" && stores != "postgres" && stores != "both")) {
    std::fprintf(stderr, "usage: catalog_search_bench [assets] [queries] [sqlite|postgres|both]\n");
    return 2;
  }
  const double kTargetMs = 50;
  std::vector<std::pair<std::string, double>> results;
  if (stores != "postgres") {
    // STRATA_BENCH_KEEP=1 keeps the SQLite catalog between runs (for profiling the searches).
    const char* keep_env = std::getenv("STRATA_BENCH_KEEP");
    bool keep = keep_env != nullptr && std::string(keep_env) == "1";
    std::string dir = std::filesystem::temp_directory_path() / "strata-catalog-bench";
    if (!keep) std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    results.emplace_back("sqlite", RunOn("sqlite", dir + "/catalog.db", assets, n_queries));
    if (!keep) std::filesystem::remove_all(dir);
  }
  if (stores != "sqlite") {
    std::string url;
    if (const char* env = std::getenv("STRATA_BENCH_POSTGRES_URL"); env != nullptr && *env) {
      url = env;
    } else {
      auto& server = strata::catalog::testing::PgTestServer::Get();
      if (!server.ok()) {
        std::fprintf(stderr, "postgres: cannot start a server: %s\n", server.error().c_str());
      } else {
        url = server.CreateDatabase();
      }
    }
    results.emplace_back("postgres", url.empty() ? -1 : RunOn("postgres", url, assets, n_queries));
  }
  bool all_pass = true;
  for (const auto& [store, p95] : results) {
    bool pass = p95 >= 0 && p95 < kTargetMs;
    all_pass = all_pass && pass;
    if (p95 < 0) {
      std::printf("FAIL %s: did not run (see the error above)\n", store.c_str());
    } else {
      std::printf("%s %s: search p95 %.2f ms over %d assets, target < %.0f ms\n",
                  pass ? "PASS" : "FAIL", store.c_str(), p95, assets, kTargetMs);
    }
  }
  return all_pass ? 0 : 1;
}
