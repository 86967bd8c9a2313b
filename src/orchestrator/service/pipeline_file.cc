#include "orchestrator/service/pipeline_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "lake/lake.h"
#include "orchestrator/loader.h"
#include "orchestrator/service/cron.h"
#include "orchestrator/service/strata_executor.h"

namespace strata::orchestrator::service {
namespace fs = std::filesystem;
namespace {

const std::set<std::string>& StrataKeys() {
  static const std::set<std::string> keys = {"description", "owner", "tags", "schedule",
                                             "triggers"};
  return keys;
}

int LineOf(const LineMap& lines, std::string pointer) {
  while (true) {
    auto it = lines.find(pointer.empty() ? "/" : pointer);
    if (it != lines.end()) return it->second;
    size_t slash = pointer.rfind('/');
    if (slash == std::string::npos || pointer.empty()) return 0;
    pointer.resize(slash);
  }
}

std::string Where(const std::string& file, const LineMap& lines, const std::string& pointer) {
  int line = LineOf(lines, pointer);
  return line > 0 ? file + ":" + std::to_string(line) : file;
}

std::string EscapeToken(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::vector<std::string>> StringList(const Json& value, const std::string& where,
                                            const std::string& field) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
    return out;
  }
  if (!value.is_array()) {
    return Status::InvalidArgument(where + ": field '" + field +
                                   "': expected a string or a list of strings");
  }
  for (const Json& item : value) {
    if (!item.is_string()) {
      return Status::InvalidArgument(where + ": field '" + field +
                                     "': every item must be a string");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

// One item of `triggers:`: {file: PATTERN, source: NAME} or {table: LAYER.NAME}.
Status ReadTrigger(const Json& t, const std::string& at, const std::string& field,
                   PipelineInfo& info) {
  constexpr const char* kForms =
      "a trigger is {file: PATTERN, source: NAME} (a file landed) or {table: LAYER.NAME} (a new "
      "Delta version committed)";
  if (!t.is_object() || (!t.contains("file") && !t.contains("table"))) {
    return Status::InvalidArgument(at + ": field '" + field + "': " + kForms);
  }
  for (auto kv = t.begin(); kv != t.end(); ++kv) {
    const bool table_form = t.contains("table");
    const bool known =
        table_form ? kv.key() == "table" : (kv.key() == "file" || kv.key() == "source");
    if (!known) {
      return Status::InvalidArgument(at + ": field '" + field + "." + kv.key() +
                                     "': not allowed here; " + kForms);
    }
    if (!kv.value().is_string()) {
      return Status::InvalidArgument(at + ": field '" + field + "." + kv.key() +
                                     "': expected a string");
    }
  }
  if (t.contains("table")) {
    PipelineInfo::TableTrigger trigger;
    trigger.table = t["table"].get<std::string>();
    Status valid = trigger.table.find('.') == std::string::npos
                       ? lake::ValidateNamePart("table name", trigger.table)
                       : lake::ParseTableName(trigger.table).status();
    if (!valid.ok()) {
      return Status::InvalidArgument(at + ": field '" + field + ".table': " + valid.message());
    }
    info.table_triggers.push_back(std::move(trigger));
    return Status::OK();
  }
  PipelineInfo::FileTrigger trigger;
  trigger.pattern = t["file"].get<std::string>();
  if (t.contains("source")) trigger.source = t["source"].get<std::string>();
  if (trigger.pattern.empty() && trigger.source.empty()) {
    return Status::InvalidArgument(at + ": field '" + field + ".file': give a pattern or a source");
  }
  info.file_triggers.push_back(std::move(trigger));
  return Status::OK();
}

Status ReadStrataKeys(const Json& doc, const LineMap& lines, const std::string& file,
                      PipelineInfo& info) {
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    if (key.empty() || !std::islower(static_cast<unsigned char>(key[0]))) continue;
    std::string where = Where(file, lines, "/" + EscapeToken(key));
    if (!StrataKeys().count(key)) {
      return Status::InvalidArgument(
          where + ": field '" + key +
          "': unknown pipeline key (strata keys: description, owner, tags, schedule, triggers; "
          "ASL keys are capitalised: StartAt, States, Comment, ...)");
    }
    const Json& v = it.value();
    if (key == "description" || key == "owner") {
      if (!v.is_string()) {
        return Status::InvalidArgument(where + ": field '" + key + "': expected a string");
      }
      (key == "description" ? info.description : info.owner) = v.get<std::string>();
    } else if (key == "tags") {
      STRATA_ASSIGN_OR_RETURN(info.tags, StringList(v, where, key));
    } else if (key == "schedule") {
      STRATA_ASSIGN_OR_RETURN(info.schedules, StringList(v, where, key));
      for (const std::string& expr : info.schedules) {
        auto cron = CronSchedule::Parse(expr);
        if (!cron.ok()) {
          return Status::InvalidArgument(where + ": field 'schedule': " + cron.status().message());
        }
      }
    } else if (key == "triggers") {
      if (!v.is_array()) {
        return Status::InvalidArgument(where + ": field 'triggers': expected a list");
      }
      for (size_t i = 0; i < v.size(); ++i) {
        std::string at = Where(file, lines, "/triggers/" + std::to_string(i));
        STRATA_RETURN_IF_ERROR(ReadTrigger(v[i], at, "triggers[" + std::to_string(i) + "]", info));
      }
    }
  }
  return Status::OK();
}

// Checks every Task's strata resource (kind known, required parameters present).
Status CheckSteps(const Json& states, const std::string& pointer, const LineMap& lines,
                  const std::string& file) {
  if (!states.is_object()) return Status::OK();
  for (auto it = states.begin(); it != states.end(); ++it) {
    const Json& st = it.value();
    if (!st.is_object()) continue;
    std::string at = pointer + "/" + EscapeToken(it.key());
    std::string type = st.value("Type", "");
    if (type == "Task" && st.contains("Resource") && st["Resource"].is_string()) {
      Status s = CheckStepResource(st["Resource"].get<std::string>(),
                                   st.contains("Parameters")  ? st["Parameters"]
                                   : st.contains("Arguments") ? st["Arguments"]
                                                              : Json(nullptr));
      if (!s.ok()) {
        return Status::InvalidArgument(Where(file, lines, at + "/Resource") + ": state '" +
                                       it.key() + "': " + s.message());
      }
    }
    if (type == "Parallel" && st.contains("Branches") && st["Branches"].is_array()) {
      for (size_t b = 0; b < st["Branches"].size(); ++b) {
        STRATA_RETURN_IF_ERROR(CheckSteps(st["Branches"][b].value("States", Json()),
                                          at + "/Branches/" + std::to_string(b) + "/States", lines,
                                          file));
      }
    }
    if (type == "Map") {
      for (const char* key : {"ItemProcessor", "Iterator"}) {
        if (st.contains(key) && st[key].is_object()) {
          STRATA_RETURN_IF_ERROR(
              CheckSteps(st[key].value("States", Json()), at + "/" + key + "/States", lines, file));
        }
      }
    }
  }
  return Status::OK();
}

}  // namespace

std::string PipelineName(const std::string& file) { return fs::path(file).stem().string(); }

Result<LoadedPipeline> ParsePipeline(const std::string& name, const std::string& file,
                                     const std::string& text) {
  LineMap lines;
  DefinitionFormat format =
      fs::path(file).extension() == ".json" ? DefinitionFormat::kJson : DefinitionFormat::kYaml;
  STRATA_ASSIGN_OR_RETURN(Json doc, ParseDefinitionText(text, format, file, &lines));
  if (!doc.is_object()) {
    return Status::InvalidArgument(file + ": a pipeline is a mapping with StartAt and States");
  }
  LoadedPipeline out;
  out.info.name = name;
  out.info.file = file;
  STRATA_RETURN_IF_ERROR(ReadStrataKeys(doc, lines, file, out.info));
  Json definition = Json::object();
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (!StrataKeys().count(it.key())) definition[it.key()] = it.value();
  }
  if (out.info.description.empty() && definition.contains("Comment") &&
      definition["Comment"].is_string()) {
    out.info.description = definition["Comment"].get<std::string>();
  }
  STRATA_ASSIGN_OR_RETURN(out.machine, LoadDefinitionJson(definition, lines, file));
  STRATA_RETURN_IF_ERROR(CheckSteps(definition.value("States", Json()), "/States", lines, file));
  out.info.definition = std::move(definition);
  return out;
}

Result<LoadedPipeline> LoadPipelineFile(const std::string& project_root, const std::string& file) {
  std::ifstream in(fs::path(project_root) / file, std::ios::binary);
  if (!in) return Status::NotFound("cannot open pipeline file " + file);
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read pipeline file " + file);
  return ParsePipeline(PipelineName(file), file, buf.str());
}

std::vector<std::string> PipelineFiles(const std::string& project_root) {
  std::vector<std::string> files;
  std::error_code ec;
  fs::path dir = fs::path(project_root) / "pipelines";
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string ext = it->path().extension().string();
    std::string base = it->path().filename().string();
    if (base.empty() || base[0] == '.') continue;
    if (ext == ".yaml" || ext == ".yml" || ext == ".json") {
      files.push_back("pipelines/" + base);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::shared_ptr<const StateMachine>> CompileDefinition(const Json& definition,
                                                              const std::string& source) {
  return LoadDefinitionJson(definition, {}, source);
}

}  // namespace strata::orchestrator::service
