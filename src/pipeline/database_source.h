// Database sources in sources/*.yaml (an item with `kind: mysql`):
//
//   - name: erp
//     kind: mysql                       # MySQL 5.7/8 or MariaDB 10.x
//     connection: mysql://strata@127.0.0.1:3306/erp
//     password: ${secret:erp_password}  # or ${env:NAME}; never in clear
//     tables: [clientes, pedidos]       # or include: [...] / exclude: [...] globs
//     mode: cdc                         # cdc (snapshot once, then changes) | snapshot (full copy)
//     bronze: erp_{table}               # -> bronze.erp_clientes (default <name>_{table})
//     commit_interval: 1s               # micro-batch: at most this long (ms, s) ...
//     commit_rows: 100000               # ... or this many rows
//     snapshot_chunk_rows: 50000
//     server_id: 4242                   # replica id (default: derived from the name)
//     on_lost_position: fail            # fail | resnapshot
//     follow: true                      # `strata serve` follows it
//
// Contract: errors name the file, line and field; a password written in clear (not a
// reference) is refused. The password is resolved only by ResolveDatabaseSource, at use.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "ingest/mysql/source.h"
#include "pipeline/yaml_reader.h"

namespace strata::pipeline {

struct DatabaseSourceSpec {
  ingest::mysql::MysqlSourceSpec spec;  // password not yet resolved
  std::string password;                 // the reference as written ("${secret:erp_password}")
  bool follow = false;
  SourceLocation where;
};

// True if the sources/*.yaml item is a database source (has `kind`).
bool IsDatabaseSource(const YamlField& item);
Result<DatabaseSourceSpec> ParseDatabaseSource(const YamlField& item);

// The spec with its password resolved from the environment / `secrets_file`.
Result<ingest::mysql::MysqlSourceSpec> ResolveDatabaseSource(const DatabaseSourceSpec& source,
                                                             const std::string& secrets_file);

}  // namespace strata::pipeline
