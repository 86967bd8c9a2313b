#include "orchestrator/loader.h"

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "common/numbers.h"
#include "common/yaml.h"
#include "orchestrator/posix_regex.h"

namespace strata::orchestrator {
namespace {

std::string EscapePointerToken(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

// Converts a validator field ("Retry[0].ErrorEquals") into pointer tokens.
std::string FieldToPointer(const std::string& field) {
  std::string out;
  std::string token;
  auto flush = [&] {
    if (!token.empty()) out += "/" + EscapePointerToken(token);
    token.clear();
  };
  for (char c : field) {
    if (c == '.' || c == '[') {
      flush();
    } else if (c == ']') {
      flush();
    } else {
      token += c;
    }
  }
  flush();
  return out;
}

std::pair<size_t, size_t> LineColumn(std::string_view text, size_t byte) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

// As common/yaml.h bounds YAML documents.
constexpr int kMaxJsonDepth = 256;

Result<Json> ParseJson(std::string_view text, std::string_view source) {
  struct Frame {
    bool is_object;
    std::set<std::string> keys;
    std::string name;  // the key under which this container sits, for messages
  };
  std::vector<Frame> stack;
  std::string pending_key;
  std::string duplicate;
  std::string too_deep;
  auto where = [&] {
    std::string p;
    for (size_t i = 1; i < stack.size(); ++i) p += "/" + stack[i].name;
    return p.empty() ? std::string("/") : p;
  };
  Json::parser_callback_t cb = [&](int depth, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        // Every later walk (validation, compilation, dump) recurses once per level.
        if (depth > kMaxJsonDepth && too_deep.empty()) {
          too_deep =
              "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels at " + where();
        }
        stack.push_back({event == Json::parse_event_t::object_start, {}, pending_key});
        pending_key = "[]";
        break;
      case Json::parse_event_t::key: {
        std::string k = parsed.get<std::string>();
        if (!stack.empty() && !stack.back().keys.insert(k).second && duplicate.empty()) {
          duplicate = "duplicate key '" + k + "' in object " + where();
        }
        pending_key = k;
        break;
      }
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!stack.empty()) stack.pop_back();
        pending_key = (!stack.empty() && !stack.back().is_object) ? "[]" : "";
        break;
      case Json::parse_event_t::value:
        break;
    }
    return true;
  };
  Json out;
  try {
    out = Json::parse(text.begin(), text.end(), cb);
  } catch (const Json::parse_error& e) {
    auto [line, col] = LineColumn(text, e.byte == 0 ? 0 : e.byte - 1);
    return Status::InvalidArgument(std::string(source) + ":" + std::to_string(line) + ":" +
                                   std::to_string(col) + ": invalid JSON: " + e.what());
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(std::string(source) + ": invalid JSON: " + e.what());
  }
  if (!too_deep.empty()) return Status::InvalidArgument(std::string(source) + ": " + too_deep);
  if (!duplicate.empty()) return Status::InvalidArgument(std::string(source) + ": " + duplicate);
  return out;
}

// A plain scalar as JSON: null, a boolean, a number (an integer beyond int64 becomes a double) or
// a string. A number beyond double's range is an error naming the line.
Result<Json> YamlScalar(const YAML::Node& node, std::string_view source) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted: always a string
  static const PosixRegex kInt("[-+]?[0-9]+", true);
  static const PosixRegex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?", true);
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (kInt.Matches(s)) {
    if (std::optional<int64_t> n = ParseInteger<int64_t>(s)) return *n;
  }
  if (kFloat.Matches(s)) {
    if (std::optional<double> d = ParseDouble(s)) return *d;
    return Status::InvalidArgument(std::string(source) + ":" +
                                   std::to_string(node.Mark().line + 1) + ": number " + s +
                                   " is out of range");
  }
  return s;
}

Status YamlToJson(const YAML::Node& node, const std::string& pointer, std::string_view source,
                  LineMap* lines, Json& out) {
  if (lines != nullptr) (*lines)[pointer.empty() ? "/" : pointer] = node.Mark().line + 1;
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out = nullptr;
      return Status::OK();
    case YAML::NodeType::Scalar: {
      STRATA_ASSIGN_OR_RETURN(out, YamlScalar(node, source));
      return Status::OK();
    }
    case YAML::NodeType::Sequence: {
      out = Json::array();
      size_t i = 0;
      for (const auto& item : node) {
        Json v;
        STRATA_RETURN_IF_ERROR(
            YamlToJson(item, pointer + "/" + std::to_string(i++), source, lines, v));
        out.push_back(std::move(v));
      }
      return Status::OK();
    }
    case YAML::NodeType::Map: {
      out = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          return Status::InvalidArgument(std::string(source) + ":" +
                                         std::to_string(kv.first.Mark().line + 1) +
                                         ": mapping keys must be scalars");
        }
        const std::string key = kv.first.Scalar();
        if (out.contains(key)) {
          return Status::InvalidArgument(std::string(source) + ":" +
                                         std::to_string(kv.first.Mark().line + 1) +
                                         ": duplicate key '" + key + "'");
        }
        Json v;
        std::string child = pointer + "/" + EscapePointerToken(key);
        STRATA_RETURN_IF_ERROR(YamlToJson(kv.second, child, source, lines, v));
        if (lines != nullptr) (*lines)[child] = kv.first.Mark().line + 1;
        out[key] = std::move(v);
      }
      return Status::OK();
    }
  }
  return Status::Internal("unknown YAML node type");
}

Result<Json> ParseYaml(std::string_view text, std::string_view source, LineMap* lines) {
  STRATA_ASSIGN_OR_RETURN(const YAML::Node root, LoadYaml(text, source));
  try {
    Json out;
    STRATA_RETURN_IF_ERROR(YamlToJson(root, "", source, lines, out));
    return out;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(source) + ":" + std::to_string(e.mark.line + 1) +
                                   ":" + std::to_string(e.mark.column + 1) +
                                   ": invalid YAML: " + e.msg);
  }
}

int LineFor(const LineMap& lines, std::string pointer) {
  while (true) {
    auto it = lines.find(pointer.empty() ? "/" : pointer);
    if (it != lines.end()) return it->second;
    size_t slash = pointer.rfind('/');
    if (slash == std::string::npos || pointer.empty()) return 0;
    pointer.resize(slash);
  }
}

}  // namespace

Result<Json> ParseDefinitionText(std::string_view text, DefinitionFormat format,
                                 std::string_view source, LineMap* lines) {
  if (format == DefinitionFormat::kAuto) {
    size_t i = 0;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    format = i < text.size() && text[i] == '{' ? DefinitionFormat::kJson : DefinitionFormat::kYaml;
  }
  if (format == DefinitionFormat::kJson) return ParseJson(text, source);
  return ParseYaml(text, source, lines);
}

Result<std::shared_ptr<const StateMachine>> LoadDefinition(std::string_view text,
                                                           DefinitionFormat format,
                                                           std::string_view source,
                                                           const ValidationOptions& options) {
  LineMap lines;
  STRATA_ASSIGN_OR_RETURN(Json doc, ParseDefinitionText(text, format, source, &lines));
  return LoadDefinitionJson(doc, lines, source, options);
}

Result<std::shared_ptr<const StateMachine>> LoadDefinitionJson(const Json& doc,
                                                               const LineMap& lines,
                                                               std::string_view source,
                                                               const ValidationOptions& options) {
  std::vector<ValidationError> errors = ValidateDefinition(doc, options);
  if (!errors.empty()) {
    std::string message = std::string(source) + ": invalid state machine definition:";
    for (const ValidationError& e : errors) {
      size_t field_start = e.pointer.size() - (e.field.empty() ? 0 : e.field.size() + 1);
      std::string pointer = e.pointer.substr(0, field_start) + FieldToPointer(e.field);
      int line = lines.empty() ? 0 : LineFor(lines, pointer);
      message += "\n  ";
      if (line > 0) message += std::string(source) + ":" + std::to_string(line) + ": ";
      message += e.ToString();
    }
    return Status::InvalidArgument(message);
  }
  auto machine = BuildStateMachine(doc, options);
  if (!machine.ok()) return machine.status().WithContext(source);
  return machine;
}

Result<std::shared_ptr<const StateMachine>> LoadDefinitionFile(const std::string& path,
                                                               const ValidationOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open state machine definition '" + path + "'");
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read '" + path + "'");
  DefinitionFormat format = DefinitionFormat::kAuto;
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".json")) format = DefinitionFormat::kJson;
  if (ends_with(".yaml") || ends_with(".yml")) format = DefinitionFormat::kYaml;
  return LoadDefinition(buf.str(), format, path, options);
}

}  // namespace strata::orchestrator
