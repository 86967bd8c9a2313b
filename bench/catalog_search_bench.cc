// Catalog search over 100k assets: p50/p95/p99 latency of `Catalog::Search` (SQLite FTS5,
// the default store) against a baseline, a LIKE scan over the same assets in the same
// database, on the same queries. Target: p95 < 50 ms.
//
//   build/bench/catalog_search_bench [assets=100000] [queries=400]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "catalog/catalog.h"

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

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  int assets = argc > 1 ? std::atoi(argv[1]) : 100000;
  int n_queries = argc > 2 ? std::atoi(argv[2]) : 400;
  std::string dir = std::filesystem::temp_directory_path() / "strata-catalog-bench";
  std::filesystem::remove_all(dir);
  auto opened = Catalog::Open(dir + "/catalog.db");
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  Catalog& catalog = **opened;
  const int kColumns = 9;  // each table is 1 + 9 assets
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
    if (auto r = catalog.UpsertTable(table); !r.ok()) {
      std::fprintf(stderr, "load: %s\n", r.status().ToString().c_str());
      return 1;
    }
  }
  double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  auto count =
      catalog.store().Query("SELECT count(*) FROM assets WHERE kind IN ('table', 'column')");
  std::printf("loaded %s assets in %.1f s\n", count.ok() ? (*count)[0].Text(0).c_str() : "?",
              load_s);

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
        queries.push_back(Pick(kWords, seed).substr(0, 4));
        break;
      case 3:
        queries.push_back(Pick(kOwners, seed));
        break;
      default:
        queries.push_back("RISCO " + Pick(kWords, seed));
        break;
    }
  }
  std::vector<double> strata_ms, baseline_ms;
  for (const std::string& q : queries) {
    auto start = std::chrono::steady_clock::now();
    auto hits = catalog.Search(q, 20);
    strata_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    if (!hits.ok()) {
      std::fprintf(stderr, "search %s: %s\n", q.c_str(), hits.status().ToString().c_str());
      return 1;
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
    if (!scan.ok()) return 1;
  }
  double p95 = Percentile(strata_ms, 0.95);
  std::printf("catalog search, %zu queries: p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms\n",
              strata_ms.size(), Percentile(strata_ms, 0.5), p95, Percentile(strata_ms, 0.99),
              Percentile(strata_ms, 1.0));
  std::printf("baseline LIKE scan + sort:     p50 %.2f ms  p95 %.2f ms (no folding, no stemming)\n",
              Percentile(baseline_ms, 0.5), Percentile(baseline_ms, 0.95));
  std::printf("ratio p95 strata/baseline: %.2f; target p95 < 50 ms: %s\n",
              p95 / Percentile(baseline_ms, 0.95), p95 < 50 ? "met" : "MISSED");
  std::filesystem::remove_all(dir);
  return p95 < 50 ? 0 : 1;
}
