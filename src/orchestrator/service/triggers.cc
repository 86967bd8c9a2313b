// OrchestratorService: cron schedules, file arrivals (notified or found in landing/), new
// Delta versions of tables, and backfills. Each firing is a unique key in the run store
// (orch_triggers), so several schedulers sharing a catalog fire a minute or a file once.
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "common/civil_date.h"
#include "common/logging.h"
#include "ingest/landing.h"
#include "lake/lake.h"
#include "lake/table.h"
#include "orchestrator/service/cron.h"
#include "orchestrator/service/service.h"
#include "orchestrator/service/service_internal.h"
#include "pipeline/project.h"
#include "pipeline/run_record.h"

namespace strata::orchestrator::service {
namespace fs = std::filesystem;
namespace {

// FormatDate with room for any int (GCC's -Wformat-truncation cannot see the date is valid).
std::string DateText(int64_t days) {
  CivilDate d = CivilFromDays(days);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

std::string IsoMinute(int64_t micros) {
  int64_t days = micros / (86'400'000'000LL);
  int64_t in_day = micros % 86'400'000'000LL / 60'000'000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02dZ", DateText(days).c_str(),
                static_cast<int>(in_day / 60), static_cast<int>(in_day % 60));
  return buf;
}

Result<std::string> FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf, static_cast<size_t>(in.gcount()));
  }
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  std::string hex;
  char two[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(two, sizeof two, "%02x", digest[i]);
    hex += two;
  }
  return hex;
}

// Which landing sources a path belongs to (by their file patterns).
std::vector<std::string> SourcesOf(const pipeline::Project* project, const std::string& path) {
  std::vector<std::string> out;
  if (project == nullptr) return out;
  for (const pipeline::SourceSpec& s : project->sources) {
    for (const std::string& pattern : s.spec.file_patterns) {
      if (ingest::GlobMatch(pattern, path)) {
        out.push_back(s.spec.table.name);
        break;
      }
    }
  }
  return out;
}

bool TriggerMatches(const PipelineInfo::FileTrigger& trigger, const std::string& path,
                    const std::string& source, const std::vector<std::string>& sources_of_path) {
  if (!trigger.pattern.empty() && !ingest::GlobMatch(trigger.pattern, path)) return false;
  if (trigger.source.empty()) return true;
  // "pedidos" or "bronze.pedidos".
  std::string wanted = trigger.source;
  if (size_t dot = wanted.find('.'); dot != std::string::npos) wanted = wanted.substr(dot + 1);
  if (!source.empty()) return source == wanted;
  for (const std::string& s : sources_of_path) {
    if (s == wanted) return true;
  }
  return false;
}

Json FileInput(const FileArrival& a) {
  return Json{{"file",
               {{"source", a.source},
                {"path", a.path},
                {"size_bytes", a.size_bytes},
                {"sha256", a.sha256}}}};
}

std::string ScanKey(const std::string& pipeline, const std::string& path, int64_t size,
                    int64_t mtime_ns) {
  return "file|" + pipeline + "|" + path + "|" + std::to_string(size) + "|" +
         std::to_string(mtime_ns);
}

struct FileStat {
  int64_t size = 0;
  int64_t mtime_ns = 0;
};

std::optional<FileStat> Stat(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileStat{static_cast<int64_t>(st.st_size),
                  static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

Result<int64_t> ParseDay(const std::string& text, const char* what) {
  int y, m, d;
  char tail;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
      m < 1 || m > 12 || d < 1 || d > 31) {
    return Status::InvalidArgument(std::string(what) + " '" + text + "' is not a date YYYY-MM-DD");
  }
  int64_t days = DaysFromCivil(y, m, d);
  if (DateText(days) != text) {
    return Status::InvalidArgument(std::string(what) + " '" + text + "' is not a calendar date");
  }
  return days;
}

// A table trigger's table: "layer.name" as is; a bare name is the project's source or model
// of that name, else the lake's table of that name (one made by another process); two tables
// of that name in different layers are an error asking for layer.name.
Result<lake::TableName> ResolveTriggerTable(const std::string& text,
                                            const pipeline::Project* project,
                                            const lake::Lake* lake) {
  if (text.find('.') != std::string::npos) return lake::ParseTableName(text);
  STRATA_RETURN_IF_ERROR(lake::ValidateNamePart("table name", text));
  std::string name = text;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::set<lake::TableName> found;
  if (project != nullptr) {
    for (const pipeline::SourceSpec& src : project->sources) {
      if (src.spec.table.name == name) found.insert(src.spec.table);
    }
    for (const pipeline::ModelSpec& m : project->models) {
      if (m.table.name == name) found.insert(m.table);
    }
  }
  if (found.empty() && lake != nullptr) {
    auto tables = lake->ListTables();
    if (tables.ok()) {
      for (const lake::TableName& t : *tables) {
        if (t.name == name) found.insert(t);
      }
    }
  }
  if (found.size() == 1) return *found.begin();
  if (found.empty()) {
    return Status::NotFound("no source, model or lake table named '" + text +
                            "' (write layer.name for a table not made yet)");
  }
  std::string all;
  for (const lake::TableName& t : found) all += (all.empty() ? "" : ", ") + t.ToString();
  return Status::InvalidArgument("'" + text + "' names several tables (" + all +
                                 "): write layer.name");
}

// At most this many versions of one table fire per pipeline per tick (a backlog is worked
// off over the following ticks, oldest first).
constexpr int64_t kMaxTableFiresPerTick = 20;

}  // namespace

// Table triggers: one run per new committed Delta version. The tick lists the table's
// `_delta_log/` (lake::Table::LatestVersion; no snapshot is loaded) and compares with the trigger's
// cursor in the run store (orch_cursors); each new version is a trigger key (orch_triggers),
// so schedulers sharing the catalog fire it once. A trigger's first look only records where
// the table is: versions committed before the trigger existed do not fire.
void OrchestratorService::Impl::TickTableTriggers(const std::vector<PipelineInfo>& pipelines,
                                                  int64_t now, std::vector<std::string>& started) {
  bool any = false;
  for (const PipelineInfo& p : pipelines) any |= p.error.empty() && !p.table_triggers.empty();
  if (!any) return;
  auto warn_once = [&](const std::string& message) {
    std::lock_guard<std::mutex> lock(scheduler_mu);
    if (warned.insert(message).second) Log().warn("scheduler: {}", message);
  };
  auto project = pipeline::LoadProject(root);
  auto config =
      project.ok() ? Result<pipeline::Project>(*project) : pipeline::LoadProjectConfig(root);
  if (!config.ok()) {
    warn_once("table triggers: " + config.status().message());
    return;
  }
  std::optional<lake::Lake> lake;
  if (auto opened = lake::Lake::Open(config->StoragePath()); opened.ok()) lake = *opened;
  for (const PipelineInfo& p : pipelines) {
    if (!p.error.empty()) continue;
    for (const PipelineInfo::TableTrigger& t : p.table_triggers) {
      const std::string where = "pipeline " + p.name + ": trigger table '" + t.table + "': ";
      auto name =
          ResolveTriggerTable(t.table, project.ok() ? &*project : nullptr, lake ? &*lake : nullptr);
      if (!name.ok()) {
        warn_once(where + name.status().message());
        continue;
      }
      const std::string table = name->ToString();
      int64_t head = -1;  // no lake or no commit yet
      std::optional<lake::Table> watched;
      if (lake) {
        watched = lake::Table::Watch(*lake, *name);
        auto latest = watched->LatestVersion();
        if (!latest.ok()) {
          warn_once(where + latest.status().message());
          continue;
        }
        head = latest->value_or(-1);
      }
      const std::string key = "table|" + p.name + "|" + table;
      auto cursor = store->GetCursor(key);
      if (!cursor.ok()) {
        Log().error("scheduler: {}{}", where, cursor.status().message());
        continue;
      }
      if (!cursor->has_value()) {
        Status st = store->AdvanceCursor(key, head);
        if (st.ok()) {
          Log().info("scheduler: pipeline {} fires on commits to {} after version {}", p.name,
                     table, head);
        } else {
          Log().error("scheduler: {}{}", where, st.message());
        }
        continue;
      }
      int64_t from = **cursor;
      if (head < from) {
        // The log went back: the table was dropped and made again. Its versions are new
        // commits (their trigger keys carry the commit time, so they differ from the old ones).
        Log().warn(
            "scheduler: {}the table went back from version {} to {} (made again?); its "
            "versions fire again",
            where, from, head);
        Status st = store->ResetCursor(key, -1);
        if (!st.ok()) {
          Log().error("scheduler: {}{}", where, st.message());
          continue;
        }
        from = -1;
      }
      if (head <= from) continue;
      const int64_t last = std::min(head, from + kMaxTableFiresPerTick);
      std::map<int64_t, std::string> operations;
      std::map<int64_t, int64_t> times;
      auto history = watched->History(last, static_cast<size_t>(last - from));
      if (history.ok()) {
        for (const lake::TableCommit& c : *history) {
          operations[c.version] = c.operation;
          times[c.version] = c.timestamp_millis;
        }
      } else {
        warn_once(where + "cannot read the commit history: " + history.status().message());
      }
      bool ok = true;
      for (int64_t v = from + 1; v <= last && ok; ++v) {
        std::string run_id = pipeline::NewRunId(now);
        // The commit time tells a version from the same version of an earlier incarnation.
        auto fresh = store->MarkTrigger(
            key + "|" + std::to_string(v) + "@" + std::to_string(times[v]), run_id);
        if (!fresh.ok()) {
          Log().error("scheduler: {}{}", where, fresh.status().message());
          ok = false;
          break;
        }
        if (!*fresh) continue;  // another scheduler fired this version
        Json input = {{"table", table}, {"version", v}, {"operation", operations[v]}};
        StartOptions opts{"table", table + "@" + std::to_string(v), ""};
        auto id = Start(p.name, input, opts, run_id);
        if (id.ok()) {
          started.push_back(*id);
        } else {
          Log().error("scheduler: {}: {}", p.name, id.status().message());
        }
      }
      if (ok) {
        Status st = store->AdvanceCursor(key, last);
        if (!st.ok()) Log().error("scheduler: {}{}", where, st.message());
      }
    }
  }
}

Result<std::vector<std::string>> OrchestratorService::NotifyFileArrived(
    const FileArrival& arrival) {
  Impl& s = *impl_;
  if (!ingest::IsSafeRelativePath(arrival.path)) {
    return Status::InvalidArgument("file arrival: '" + arrival.path +
                                   "' is not a landing-relative path");
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<PipelineInfo> pipelines, ListPipelines());
  std::unique_ptr<pipeline::Project> project;
  if (arrival.source.empty()) {
    auto loaded = pipeline::LoadProject(s.root);
    if (loaded.ok()) project = std::make_unique<pipeline::Project>(std::move(*loaded));
  }
  std::vector<std::string> sources = SourcesOf(project.get(), arrival.path);
  std::optional<FileStat> stat;
  {
    auto config = pipeline::LoadProjectConfig(s.root);
    if (config.ok()) stat = Stat((fs::path(config->LandingPath()) / arrival.path).string());
  }
  std::vector<std::string> started;
  for (const PipelineInfo& p : pipelines) {
    if (!p.error.empty()) continue;
    for (const PipelineInfo::FileTrigger& t : p.file_triggers) {
      if (!TriggerMatches(t, arrival.path, arrival.source, sources)) continue;
      std::string run_id = pipeline::NewRunId(s.clock->NowMicros());
      STRATA_ASSIGN_OR_RETURN(
          bool fresh,
          s.store->MarkTrigger("arrival|" + p.name + "|" + arrival.path + "|" +
                                   std::to_string(arrival.size_bytes) + "|" + arrival.sha256,
                               run_id));
      if (!fresh) break;
      // The scanner must not fire again for the same file.
      if (stat) {
        (void)s.store->MarkTrigger(ScanKey(p.name, arrival.path, stat->size, stat->mtime_ns),
                                   run_id);
      }
      FileArrival a = arrival;
      if (a.source.empty() && sources.size() == 1) a.source = sources[0];
      StartOptions opts{"file", arrival.path, ""};
      STRATA_ASSIGN_OR_RETURN(std::string id, s.Start(p.name, FileInput(a), opts, run_id));
      started.push_back(id);
      break;  // one run per pipeline per file
    }
  }
  return started;
}

Result<std::vector<std::string>> OrchestratorService::SchedulerTick() {
  Impl& s = *impl_;
  const int64_t now = s.clock->NowMicros();
  int64_t previous;
  {
    std::lock_guard<std::mutex> lock(s.scheduler_mu);
    previous = s.last_tick < 0 ? now : s.last_tick;
    s.last_tick = std::max(now, s.last_tick);
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<PipelineInfo> pipelines, ListPipelines());
  std::vector<std::string> started;

  // Cron: the latest scheduled minute in (previous, now], once.
  for (const PipelineInfo& p : pipelines) {
    if (!p.error.empty()) {
      std::lock_guard<std::mutex> lock(s.scheduler_mu);
      if (s.warned.insert(p.error).second) {
        Log().warn("scheduler: pipeline {} skipped: {}", p.name, p.error);
      }
      continue;
    }
    for (const std::string& expr : p.schedules) {
      auto cron = CronSchedule::Parse(expr);
      if (!cron.ok()) continue;
      int64_t due = cron->Next(previous);
      if (due < 0 || due > now) continue;
      for (int64_t next = cron->Next(due); next >= 0 && next <= now; next = cron->Next(due)) {
        due = next;  // missed minutes are not caught up: only the latest fires
      }
      std::string run_id = pipeline::NewRunId(now);
      std::string key = "cron|" + p.name + "|" + expr + "|" + std::to_string(due);
      STRATA_ASSIGN_OR_RETURN(bool fresh, s.store->MarkTrigger(key, run_id));
      if (!fresh) continue;
      StartOptions opts{"schedule", expr + " @ " + IsoMinute(due), ""};
      Json input = {{"schedule", {{"cron", expr}, {"time", IsoMinute(due)}}}};
      auto id = s.Start(p.name, input, opts, run_id);
      if (id.ok()) {
        started.push_back(*id);
      } else {
        Log().error("scheduler: {}: {}", p.name, id.status().message());
      }
    }
  }

  s.TickTableTriggers(pipelines, now, started);

  // Files in landing/ matching a file trigger.
  bool any_file_trigger = false;
  for (const PipelineInfo& p : pipelines) any_file_trigger |= !p.file_triggers.empty();
  if (!any_file_trigger) return started;
  auto project = pipeline::LoadProject(s.root);
  std::string landing;
  if (project.ok()) {
    landing = project->LandingPath();
  } else {
    auto config = pipeline::LoadProjectConfig(s.root);
    if (!config.ok()) return config.status();
    landing = config->LandingPath();
  }
  auto files = ingest::ListLandingFiles(landing);
  if (!files.ok()) {
    if (files.status().IsNotFound()) return started;
    return files.status();
  }
  const auto real_now = std::chrono::system_clock::now().time_since_epoch();
  const int64_t real_now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(real_now).count();
  for (const std::string& path : *files) {
    std::string full = (fs::path(landing) / path).string();
    std::optional<FileStat> st = Stat(full);
    if (!st) continue;
    if (real_now_ns - st->mtime_ns < s.options.file_settle_micros * 1000)
      continue;  // still landing
    std::vector<std::string> sources = SourcesOf(project.ok() ? &*project : nullptr, path);
    for (const PipelineInfo& p : pipelines) {
      if (!p.error.empty()) continue;
      for (const PipelineInfo::FileTrigger& t : p.file_triggers) {
        if (!TriggerMatches(t, path, "", sources)) continue;
        std::string run_id = pipeline::NewRunId(now);
        STRATA_ASSIGN_OR_RETURN(
            bool fresh,
            s.store->MarkTrigger(ScanKey(p.name, path, st->size, st->mtime_ns), run_id));
        if (!fresh) break;
        FileArrival a{sources.size() == 1 ? sources[0] : "", path, st->size, ""};
        auto sha = FileSha256(full);
        if (sha.ok()) a.sha256 = *sha;
        StartOptions opts{"file", path, ""};
        auto id = s.Start(p.name, FileInput(a), opts, run_id);
        if (id.ok()) {
          started.push_back(*id);
        } else {
          Log().error("scheduler: {}: {}", p.name, id.status().message());
        }
        break;
      }
    }
  }
  return started;
}

Status OrchestratorService::RunScheduler(const std::function<bool()>& stop, int64_t poll_micros) {
  Impl& s = *impl_;
  const int64_t slice = std::min<int64_t>(poll_micros, 100'000);
  while (!stop()) {
    auto started = SchedulerTick();
    if (!started.ok()) {
      Log().error("scheduler: {}", started.status().message());
    } else {
      for (const std::string& id : *started) Log().info("scheduler: started run {}", id);
    }
    for (int64_t waited = 0; waited < poll_micros && !stop(); waited += slice) {
      s.clock->SleepForMicros(slice);
    }
  }
  return Status::OK();
}

Result<std::vector<BackfillItem>> OrchestratorService::Backfill(const std::string& pipeline,
                                                                const BackfillOptions& options) {
  STRATA_ASSIGN_OR_RETURN(int64_t from, ParseDay(options.from, "--from"));
  STRATA_ASSIGN_OR_RETURN(int64_t to, ParseDay(options.to, "--to"));
  if (to < from) {
    return Status::InvalidArgument("--to " + options.to + " is before --from " + options.from);
  }
  if (to - from > 3660) return Status::InvalidArgument("a backfill covers at most 10 years");
  if (!options.input.is_object()) {
    return Status::InvalidArgument("backfill input must be a JSON object");
  }
  STRATA_RETURN_IF_ERROR(GetPipeline(pipeline).status());
  const int concurrency = std::max(1, options.concurrency);
  std::vector<BackfillItem> items;
  std::deque<size_t> in_flight;
  auto wait_oldest = [&]() -> Status {
    size_t i = in_flight.front();
    in_flight.pop_front();
    STRATA_ASSIGN_OR_RETURN(RunSummary done, WaitRun(items[i].run_id));
    items[i].status = RunStatusName(done.status);
    return Status::OK();
  };
  for (int64_t day = from; day <= to; ++day) {
    BackfillItem item;
    item.date = DateText(day);
    STRATA_ASSIGN_OR_RETURN(bool succeeded, impl_->store->PartitionSucceeded(pipeline, item.date));
    if (succeeded) {
      item.status = "SKIPPED";
      items.push_back(item);
      continue;
    }
    while (static_cast<int>(in_flight.size()) >= concurrency) STRATA_RETURN_IF_ERROR(wait_oldest());
    Json input = options.input;
    input["date"] = item.date;
    StartOptions opts{"backfill", item.date, item.date};
    STRATA_ASSIGN_OR_RETURN(item.run_id, StartRun(pipeline, input, opts));
    items.push_back(item);
    in_flight.push_back(items.size() - 1);
  }
  while (!in_flight.empty()) STRATA_RETURN_IF_ERROR(wait_oldest());
  return items;
}

}  // namespace strata::orchestrator::service
