#include "orchestrator/service/json.h"

#include <ctime>

namespace strata::orchestrator::service {
namespace {

Json Duration(int64_t from, int64_t to) {
  if (from == 0 || to == 0) return nullptr;
  return (to - from) / 1000;
}

}  // namespace

std::string IsoTime(int64_t micros) {
  if (micros == 0) return "";
  time_t seconds = static_cast<time_t>(micros / 1'000'000);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  char out[96];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(micros / 1000 % 1000));
  return out;
}

Json RunJson(const RunSummary& r) {
  return Json{{"run_id", r.run_id},
              {"pipeline", r.pipeline},
              {"status", std::string(RunStatusName(r.status))},
              {"trigger", r.trigger},
              {"trigger_info", r.trigger_info},
              {"resumed_from", r.resumed_from},
              {"partition", r.partition},
              {"worker", r.worker},
              {"input", r.input},
              {"output", r.output},
              {"error", r.error},
              {"cause", r.cause},
              {"failed_state", r.failed_state},
              {"queued_at", IsoTime(r.queued_at_micros)},
              {"started_at", IsoTime(r.started_at_micros)},
              {"ended_at", IsoTime(r.ended_at_micros)},
              {"queued_at_micros", r.queued_at_micros},
              {"started_at_micros", r.started_at_micros},
              {"ended_at_micros", r.ended_at_micros},
              {"duration_ms", Duration(r.started_at_micros, r.ended_at_micros)},
              {"cancel_requested", r.cancel_requested},
              {"state_count", r.states},
              {"failed_state_count", r.failed_states}};
}

Json RunDetailJson(const RunDetail& d) {
  Json out = RunJson(d.run);
  Json states = Json::array();
  for (const StateRun& s : d.states) {
    states.push_back({{"scope", s.scope},
                      {"state", s.state},
                      {"type", s.type},
                      {"entry", s.entry},
                      {"status", s.status},
                      {"input", s.input},
                      {"output", s.output},
                      {"error", s.error},
                      {"cause", s.cause},
                      {"entered_at", IsoTime(s.entered_at_micros)},
                      {"exited_at", IsoTime(s.exited_at_micros)},
                      {"duration_ms", Duration(s.entered_at_micros, s.exited_at_micros)}});
  }
  Json attempts = Json::array();
  for (const TaskAttempt& a : d.attempts) {
    attempts.push_back({{"scope", a.scope},
                        {"state", a.state},
                        {"resource", a.resource},
                        {"attempt", a.attempt},
                        {"status", a.status},
                        {"input", a.input},
                        {"output", a.output},
                        {"error", a.error},
                        {"cause", a.cause},
                        {"started_at", IsoTime(a.started_at_micros)},
                        {"ended_at", IsoTime(a.ended_at_micros)},
                        {"duration_ms", Duration(a.started_at_micros, a.ended_at_micros)},
                        {"log", a.log}});
  }
  Json events = Json::array();
  for (const RunEvent& e : d.events) {
    events.push_back({{"seq", e.seq},
                      {"type", e.type},
                      {"scope", e.scope},
                      {"state", e.state},
                      {"time", IsoTime(e.time_micros)},
                      {"detail", e.detail}});
  }
  out["states"] = std::move(states);
  out["attempts"] = std::move(attempts);
  out["events"] = std::move(events);
  return out;
}

Json PipelineJson(const PipelineInfo& p) {
  Json triggers = Json::array();
  for (const PipelineInfo::FileTrigger& t : p.file_triggers) {
    triggers.push_back({{"file", t.pattern}, {"source", t.source}});
  }
  for (const PipelineInfo::TableTrigger& t : p.table_triggers) {
    triggers.push_back({{"table", t.table}});
  }
  Json states = Json::array();
  if (p.definition.is_object() && p.definition.contains("States")) {
    for (auto it = p.definition["States"].begin(); it != p.definition["States"].end(); ++it) {
      states.push_back({{"name", it.key()},
                        {"type", it.value().value("Type", "")},
                        {"resource", it.value().value("Resource", "")},
                        {"comment", it.value().value("Comment", "")}});
    }
  }
  return Json{{"name", p.name},       {"file", p.file},   {"description", p.description},
              {"owner", p.owner},     {"tags", p.tags},   {"schedules", p.schedules},
              {"triggers", triggers}, {"states", states}, {"definition", p.definition},
              {"error", p.error}};
}

Json BackfillJson(const std::vector<BackfillItem>& items) {
  Json out = Json::array();
  for (const BackfillItem& i : items) {
    out.push_back({{"date", i.date}, {"run_id", i.run_id}, {"status", i.status}});
  }
  return out;
}

}  // namespace strata::orchestrator::service
