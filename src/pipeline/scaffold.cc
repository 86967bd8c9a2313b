#include "pipeline/scaffold.h"

#include <filesystem>
#include <fstream>

namespace strata::pipeline {
namespace {

constexpr std::string_view kStrataYaml =
    R"strata(# A strata project. Everything here is plain text: keep it under version control.
#
#   strata.yaml          this file: the project's name and where things live
#   landing/             files arrive here (CSV, JSON lines, Parquet)
#   sources/*.yaml       which landing files load into which bronze table, typed how
#   models/<layer>/*.sql one SELECT per table of that layer (silver, gold, ...); a .yaml beside
#                        each holds its description, owner, tags, columns, materialization, key
#                        and tests
#   lake/                the Delta tables (bronze/, silver/, gold/), written by `strata run`
#   .strata/catalog.db   the catalog, and every run: what ran, rows, tests, errors
#                        (strata runs list; strata runs show RUN_ID)
#
# Try it:  strata run --project .      (loads landing/, builds every model, runs every test)
#          strata sql "SELECT * FROM silver.pedidos_validos"
#          strata test --project .     (re-runs the tests on the tables as they are)
name: meu_projeto
description: A new strata project.
owner: time-dados

# Where the Delta tables live: a directory relative to this file (or s3://bucket/prefix).
storage: lake
# Where files arrive.
landing: landing
# The catalog database (SQLite file relative to this file, or a postgresql:// URL).
catalog: .strata/catalog.db

# Engine settings for runs (0 / "" = DuckDB's defaults: all cores, 80% of RAM).
engine:
  threads: 0
  memory_limit: ""
)strata";

constexpr std::string_view kSourcesYaml =
    R"strata(# Sources load files from landing/ into bronze Delta tables.
# Every row is accounted for: a row that cannot be typed (wrong field count, bad number or date)
# goes to bronze.<name>__quarantine with the raw line, the file, the row number and the reason.
# A file already loaded (same content, by SHA-256) is never loaded twice.

# Settings every source below inherits unless it sets its own.
defaults:
  format: csv                 # csv | jsonl | parquet
  csv: {delimiter: ",", header: true, quote: "\"", date_format: "%Y-%m-%d"}
  owner: time-ingestao        # who answers for these tables
  layer: bronze

sources:
  - name: pedidos             # -> table bronze.pedidos
    description: Pedidos recebidos, um por linha.
    files: "pedidos*.csv"     # glob under landing/ (a list of globs also works)
    key: [pedido_id]          # bronze keeps every row; the key is checked (as a warning)
    tags: [Core Domain]
    # The contract: column names and SQL types. `pii:` marks personal data for the catalog.
    columns:
      - {name: pedido_id, type: BIGINT, description: Identificador do pedido.}
      - {name: cliente, type: VARCHAR, description: Nome do cliente., pii: PERSON_NAME}
      - {name: data_pedido, type: DATE, description: Data do pedido.}
      - {name: valor, type: "DECIMAL(12,2)", description: Valor do pedido em reais.}
    # Extra tests on the bronze table (action warn or fail).
    tests:
      - {name: tem_linhas, row_count: {min: 1}, action: warn}
)strata";

constexpr std::string_view kModelSql =
    R"strata(-- A model is one SELECT. Its table is models/<layer>/<file name>: silver.pedidos_validos.
-- Read other tables by name (bronze.pedidos); strata finds them with DuckDB's parser and runs
-- models in dependency order. Metadata and tests are in the .yaml of the same name (or in a
-- /*--- yaml ---*/ block at the very top of this file).
SELECT
  pedido_id,
  cliente,
  data_pedido,
  valor
FROM bronze.pedidos
-- The latest row of each key wins (bronze keeps every row ever landed).
QUALIFY row_number() OVER (PARTITION BY pedido_id
                           ORDER BY _ingested_at DESC, _source_file DESC, _source_row DESC) = 1
)strata";

constexpr std::string_view kModelYaml =
    R"strata(# Metadata and tests of the model in pedidos_validos.sql.
description: Pedidos válidos, um por pedido_id.
owner: time-engenharia
tags: [Core Domain]
# table: rebuilt on every run | incremental: appends rows whose key is new | merge: upserts on key
# | apply_changes: mirrors a CDC bronze table (a database source's changes: _op, _position,
#   _source_ts, ...) by `key`; reads only the bronze versions it has not applied yet. With it:
#     sequence_by: _position     # orders the changes of a key (the latest wins; default)
#     history: scd1              # scd1: current rows only | scd2: a row per change, with
#                                #   _valid_from, _valid_to, _is_current (deletes close the row)
#     except_columns: [_op, _position, _tx, _ingested_at]   # the default; _source_ts stays
materialized: table
key: [pedido_id]

columns:
  - {name: pedido_id, description: Identificador do pedido.}
  - {name: cliente, description: Nome do cliente., pii: PERSON_NAME}
  - {name: data_pedido, description: Data do pedido.}
  - {name: valor, description: Valor em reais.}

# Tests run on the computed rows before anything is committed. Each has an action:
#   warn        report only
#   fail        commit nothing for this model and skip the models downstream
#   quarantine  (row-level tests) move the offending rows to silver.pedidos_validos__quarantine
#               with the names of the rules they broke; the rest go on
# Kinds: not_null, unique (one or more columns), accepted_values {column, values},
# relationships {column, to, field}, range {column, min, max}, row_count {min, max},
# freshness {column, max_age: "36 hours"}, expect (a SQL condition every row must meet),
# sql (a query returning the failing rows: no rows = pass).
tests:
  - name: valor_positivo
    expect: valor > 0
    action: quarantine
  - name: data_preenchida
    not_null: data_pedido
    action: quarantine
  - name: chave_unica
    unique: [pedido_id]
    action: fail
)strata";

constexpr std::string_view kLandingCsv = R"strata(pedido_id,cliente,data_pedido,valor
1,Ana Souza,2024-03-01,120.50
2,Bruno Lima,2024-03-02,89.90
3,Carla Dias,2024-03-02,-5.00
)strata";

constexpr std::string_view kGitignore =
    R"strata(# Data and run state, written by strata: not source code.
lake/
.strata/
)strata";

}  // namespace

const std::vector<ProjectFile>& InitProjectFiles() {
  static const std::vector<ProjectFile> files = {
      {"strata.yaml", kStrataYaml},
      {"sources/sources.yaml", kSourcesYaml},
      {"models/silver/pedidos_validos.sql", kModelSql},
      {"models/silver/pedidos_validos.yaml", kModelYaml},
      {"landing/pedidos.csv", kLandingCsv},
      {".gitignore", kGitignore},
  };
  return files;
}

Status WriteProjectFiles(const std::string& directory, const std::vector<ProjectFile>& files,
                         bool require_empty) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (require_empty && fs::exists(directory, ec)) {
    if (!fs::is_directory(directory, ec)) {
      return Status::AlreadyExists(directory + " exists and is not a directory");
    }
    if (!fs::is_empty(directory, ec)) {
      return Status::AlreadyExists(directory +
                                   " is not empty: give a new or empty directory for the project");
    }
  }
  for (const ProjectFile& file : files) {
    fs::path path = fs::path(directory) / file.path;
    fs::create_directories(path.parent_path(), ec);
    if (ec)
      return Status::IOError("cannot create " + path.parent_path().string() + ": " + ec.message());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << file.content;
    out.flush();
    if (!out) return Status::IOError("cannot write " + path.string());
  }
  return Status::OK();
}

}  // namespace strata::pipeline
