// The ImportAu data set (../shared/examples/importau/SPEC.md): the 7 landing CSVs of a Brazilian
// importer, generated deterministically from a seed and a scale. Same (seed, scale, dirty) ->
// byte-identical files on every machine (our own PRNG mapping; no std:: distributions, whose
// output differs between standard libraries).
//
// Scale 1 is about 100k order items; sizes grow linearly with scale. With `dirty` set, a small
// share of rows breaks the contract in every way the pipeline must survive: wrong field counts,
// unparsable numbers and dates, duplicate keys (a later corrected copy), non-positive quantities
// and prices, references to missing products/clients, and orders dated before any FX rate.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace strata::demo {

struct ImportAuOptions {
  int scale = 1;
  uint64_t seed = 42;
  bool dirty = false;
};

// Rows written per file (data rows, header excluded), including dirty ones.
struct ImportAuCounts {
  int64_t clientes = 0, fornecedores = 0, produtos = 0, pedidos = 0, itens_pedido = 0, cambio = 0,
          pagamentos = 0;
  int64_t dirty_rows = 0;  // rows deliberately broken (all files)
  int64_t total() const {
    return clientes + fornecedores + produtos + pedidos + itens_pedido + cambio + pagamentos;
  }
};

// Writes clientes.csv, fornecedores.csv, produtos.csv, pedidos.csv, itens_pedido.csv, cambio.csv
// and pagamentos.csv into `directory` (created if missing; existing files are replaced whole,
// each written to a temporary name and renamed). InvalidArgument for scale < 1; IOError naming
// the file on write failure.
Result<ImportAuCounts> GenerateImportAu(const std::string& directory,
                                        const ImportAuOptions& options);

// Check digits, exposed for tests and for the PII classifier's own tests.
std::string CpfWithCheckDigits(const std::string& nine_digits);
std::string CnpjWithCheckDigits(const std::string& twelve_digits);

}  // namespace strata::demo
