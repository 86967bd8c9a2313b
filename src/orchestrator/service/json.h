// JSON views of the service's records, shared by `strata pipeline/runs --json` and the HTTP
// API so both speak the same schema. Times are ISO-8601 UTC with milliseconds ("" when not
// yet) plus `*_micros`; durations in milliseconds. Fields are only ever added.
//
//   run:      {run_id, pipeline, status, trigger, trigger_info, resumed_from, partition, worker,
//              input, output, error, cause, failed_state, queued_at, started_at, ended_at,
//              duration_ms, cancel_requested, state_count, failed_state_count}
//   detail:   run + {states: [{scope, state, type, entry, status, input, output, error, cause,
//              entered_at, exited_at, duration_ms}], attempts: [{scope, state, resource,
//              attempt, status, input, output, error, cause, started_at, ended_at,
//              duration_ms, log}], events: [{seq, type, scope, state, time, detail}]}
//   pipeline: {name, file, description, owner, tags, schedules, triggers: [{file, source}],
//              states: [{name, type, resource, comment}], definition, error}
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "orchestrator/service/service.h"

namespace strata::orchestrator::service {

std::string IsoTime(int64_t micros);  // "" for 0
Json RunJson(const RunSummary& run);
Json RunDetailJson(const RunDetail& detail);
Json PipelineJson(const PipelineInfo& pipeline);
Json BackfillJson(const std::vector<BackfillItem>& items);

}  // namespace strata::orchestrator::service
