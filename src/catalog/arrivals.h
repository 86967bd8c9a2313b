// File arrivals: one row per file a partner delivered (by SFTP, or any other landing channel),
// with what became of it. Written by the landing zone (src/landing/sftp) as a file arrives and
// again when its load finishes; read by `strata sftp arrivals` and the HTTP API.
//
// States: "received" (complete, hashed, queued for its source), then one of "loaded",
// "already_loaded" (same content loaded before: nothing new), "rejected" (name or extension fits
// no source: moved to rejected/, never loaded) or "failed" (the load refused the file as a whole:
// empty, header not matching the contract, unreadable; moved to rejected/ too).
//
// Thread safety: as Catalog (one thread at a time per Catalog object).
// Errors: the Store's statuses; NotFound from UpdateArrival for an unknown id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/result.h"

namespace strata::catalog {

struct ArrivalRecord {
  int64_t id = 0;         // assigned by RecordArrival
  std::string partner{};  // SFTP user ("acme")
  std::string path{};     // partner-relative path as uploaded ("pedidos.csv")
  std::string source{};   // source name it matched ("pedidos"), "" if none
  int64_t size_bytes = 0;
  std::string sha256{};       // hex
  std::string received_at{};  // ISO-8601 UTC; default now
  std::string state{};        // see above
  std::string reason{};       // why rejected/failed/already loaded
  std::string stored_as{};    // where the content is kept (archive or rejected/ path)
  std::optional<int64_t> rows_loaded{};
  std::optional<int64_t> rows_quarantined{};
  std::string run_id{};  // the run that loaded it
  std::string updated_at{};
};

// Inserts `arrival` (id ignored) and returns its id.
Result<int64_t> RecordArrival(Catalog& catalog, const ArrivalRecord& arrival);

// Sets state, reason, stored_as (when not empty), rows and run id of arrival `id`.
Status UpdateArrival(Catalog& catalog, const ArrivalRecord& arrival);

struct ArrivalFilter {
  std::string partner{};  // "" = all
  std::string state{};    // "" = all
  std::string sha256{};   // "" = all
  int limit = 100;        // newest first
};
Result<std::vector<ArrivalRecord>> ListArrivals(Catalog& catalog, const ArrivalFilter& filter);

}  // namespace strata::catalog
