// OpenLineage run events (spec 2-0-2): START, COMPLETE and FAIL events for a run, with the
// schema, documentation, ownership, version, statistics and columnLineage facets of its
// datasets and the sql, documentation, ownership and jobType facets of its job, written to a
// directory (one JSON file per event) or POSTed to an HTTP endpoint (e.g. Marquez's
// /api/v1/lineage).
//
//   STRATA_ASSIGN_OR_RETURN(auto emitter, OpenLineageEmitter::Create({"out/lineage"}));
//   STRATA_ASSIGN_OR_RETURN(auto event, BuildRunEventFromCatalog(catalog, run, "COMPLETE",
//                                                                lineage, sql));
//   STRATA_RETURN_IF_ERROR(emitter->Emit(event));
//
// Events validate against ../shared/conformance/openlineage (tested with a draft 2020-12
// validator). runId must be a UUID: other run ids are mapped to a stable name-based UUID.
// Thread safety: an emitter may be shared (each Emit is independent).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/result.h"

namespace strata::catalog {

constexpr const char* kOpenLineageProducer = "https://github.com/strata-lakehouse/strata";

struct OpenLineageConfig {
  std::string target{};                   // a directory, or an http:// / https:// URL to POST to
  std::string namespace_name = "strata";  // job and dataset namespace
  int timeout_seconds = 10;               // HTTP only
};

struct OlField {
  std::string name{}, type{}, description{};
};
struct OlInputField {
  std::string dataset{};  // input dataset name
  std::string field{};
  std::string transformation{};  // DIRECT or INDIRECT
  std::string subtype{};
};
struct OlDataset {
  std::string name{};
  std::vector<OlField> fields{};
  std::string description{};
  std::string owner{};
  std::optional<int64_t> version{};
  std::optional<int64_t> row_count{};  // outputs only
  std::string storage_format{};        // "delta", "csv"...
  // Outputs only: output column -> where it comes from{}; plus dataset-wide INDIRECT inputs.
  std::vector<std::pair<std::string, OlInputField>> column_lineage{};
  std::vector<OlInputField> dataset_lineage{};
};
struct OlRunEvent {
  std::string event_type{};  // START, COMPLETE, FAIL, ABORT
  std::string event_time{};  // ISO-8601; empty = now
  std::string run_id{};
  std::string job_name{};
  std::string job_description{};
  std::string job_owner{};
  std::string sql{};
  std::string error_message{};
  std::vector<OlDataset> inputs{};
  std::vector<OlDataset> outputs{};
  // The run this one is part of (ParentRunFacet): a table's run "<run id>/<table>" is part of
  // the run store's run "<run id>" (`strata runs show <run id>`), its job the pipeline. Empty =
  // none.
  std::string parent_run_id{};
  std::string parent_job{};
};

// The event as JSON (pure).
nlohmann::json BuildRunEvent(const OlRunEvent& event, const std::string& namespace_name);

// Fills an OlRunEvent from what the catalog knows: the run's job and outputs, each dataset's
// schema, description, owner, version and rows, and the lineage's column edges. `event_type`
// START gives no output statistics. NotFound if an output table is not in the catalog.
Result<OlRunEvent> BuildRunEventFromCatalog(Catalog& catalog, const RunRecord& run,
                                            const std::string& event_type,
                                            const LineageRecord& lineage, const std::string& sql);

// A UUID for a run id: the id itself if it already is one, else a stable name-based UUID.
std::string RunUuid(const std::string& run_id);

class OpenLineageEmitter {
 public:
  // InvalidArgument for an empty target; IOError if the directory cannot be created.
  static Result<std::unique_ptr<OpenLineageEmitter>> Create(const OpenLineageConfig& config);
  virtual ~OpenLineageEmitter() = default;
  // Writes or POSTs one event. IOError when the file cannot be written or the endpoint is
  // unreachable or answers other than 2xx (the message carries the status and body).
  virtual Status Emit(const nlohmann::json& event) = 0;
  const OpenLineageConfig& config() const { return config_; }

 protected:
  explicit OpenLineageEmitter(OpenLineageConfig config) : config_(std::move(config)) {}
  OpenLineageConfig config_;
};

// Internal: POSTs JSON to an http(s) URL (openlineage_http.cc).
Status PostJson(const std::string& url, const std::string& body, int timeout_seconds);

}  // namespace strata::catalog
