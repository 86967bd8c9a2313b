#include "pipeline/yaml_reader.h"

#include <fstream>
#include <sstream>

#include "common/numbers.h"
#include "common/yaml.h"
#include "lake/lake.h"

namespace strata::pipeline {
namespace {

std::string Quote(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string JoinChoices(const std::vector<std::string_view>& choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) out += i + 1 == choices.size() ? " or " : ", ";
    out += choices[i];
  }
  return out;
}

}  // namespace

std::string SourceLocation::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  if (line > 0 && column > 0) out += ":" + std::to_string(column);
  return out;
}

YamlDocument::~YamlDocument() = default;

Result<std::shared_ptr<const YamlDocument>> YamlDocument::Parse(std::string text,
                                                                std::string display_name,
                                                                int line_offset) {
  std::shared_ptr<YamlDocument> document(new YamlDocument());
  document->name_ = std::move(display_name);
  document->line_offset_ = line_offset;
  STRATA_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(text, document->name_, line_offset));
  document->root_ = std::make_unique<YAML::Node>(std::move(root));
  return std::shared_ptr<const YamlDocument>(std::move(document));
}

Result<std::shared_ptr<const YamlDocument>> YamlDocument::Load(const std::string& path,
                                                               std::string display_name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(display_name + ": cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError(display_name + ": read error on " + path);
  return Parse(text.str(), std::move(display_name));
}

YamlField YamlDocument::Root() const {
  return YamlField(this, std::make_unique<YAML::Node>(*root_), "");
}

YamlField::YamlField(const YamlDocument* document, std::unique_ptr<YAML::Node> node,
                     std::string path)
    : document_(document), node_(std::move(node)), path_(std::move(path)) {}
YamlField::YamlField(const YamlField& other)
    : document_(other.document_),
      node_(std::make_unique<YAML::Node>(*other.node_)),
      path_(other.path_) {}
YamlField& YamlField::operator=(const YamlField& other) {
  if (this != &other) {
    document_ = other.document_;
    node_ = std::make_unique<YAML::Node>(*other.node_);
    path_ = other.path_;
  }
  return *this;
}
YamlField::~YamlField() = default;

SourceLocation YamlField::location() const {
  SourceLocation where{document_->name_, 0, 0};
  YAML::Mark mark = node_->Mark();
  if (!mark.is_null()) {
    where.line = mark.line + 1 + document_->line_offset_;
    where.column = mark.column + 1;
  }
  return where;
}

Status YamlField::Error(std::string_view message) const {
  std::string text = location().ToString() + ": ";
  if (!path_.empty()) text += path_ + ": ";
  text += message;
  return Status::InvalidArgument(std::move(text));
}

bool YamlField::IsNull() const { return !node_->IsDefined() || node_->IsNull(); }
bool YamlField::IsMap() const { return node_->IsMap(); }
bool YamlField::IsList() const { return node_->IsSequence(); }
bool YamlField::IsScalar() const { return node_->IsScalar(); }
bool YamlField::IsPlainScalar() const { return node_->IsScalar() && node_->Tag() == "?"; }

Status YamlField::CheckKeys(const std::vector<std::string_view>& allowed) const {
  if (!IsMap()) return Error("expected a mapping (key: value lines)");
  std::vector<std::string> names(allowed.begin(), allowed.end());
  for (auto it = node_->begin(); it != node_->end(); ++it) {
    if (!it->first.IsScalar()) {
      return YamlField(document_, std::make_unique<YAML::Node>(it->first), path_)
          .Error("keys must be plain names");
    }
    const std::string& key = it->first.Scalar();
    bool known = false;
    for (std::string_view name : allowed) known = known || name == key;
    if (known) continue;
    std::string key_path = path_.empty() ? key : path_ + "." + key;
    std::string message = "unknown field " + Quote(key);
    std::vector<std::string> close = lake::CloseNames(key, names, 1);
    if (!close.empty()) message += " (did you mean " + Quote(close.front()) + "?)";
    message += "; allowed here: " + JoinChoices(allowed);
    return YamlField(document_, std::make_unique<YAML::Node>(it->first), key_path).Error(message);
  }
  return Status::OK();
}

std::optional<YamlField> YamlField::Get(std::string_view key) const {
  if (!IsMap()) return std::nullopt;
  for (auto it = node_->begin(); it != node_->end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) {
      if (!it->second.IsDefined() || it->second.IsNull()) return std::nullopt;
      std::string key_path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
      return YamlField(document_, std::make_unique<YAML::Node>(it->second), key_path);
    }
  }
  return std::nullopt;
}

std::vector<std::string> YamlField::Keys() const {
  std::vector<std::string> keys;
  if (!IsMap()) return keys;
  for (auto it = node_->begin(); it != node_->end(); ++it) {
    if (it->first.IsScalar()) keys.push_back(it->first.Scalar());
  }
  return keys;
}

Result<std::vector<YamlField>> YamlField::Items() const {
  if (!IsList()) return Error("expected a list (lines starting with '- ')");
  std::vector<YamlField> items;
  for (size_t i = 0; i < node_->size(); ++i) {
    items.emplace_back(YamlField(document_, std::make_unique<YAML::Node>((*node_)[i]),
                                 path_ + "[" + std::to_string(i) + "]"));
  }
  return items;
}

Result<std::string> YamlField::String() const {
  if (!IsScalar()) return Error("expected a single value, not a list or mapping");
  return node_->Scalar();
}

Result<bool> YamlField::Bool() const {
  STRATA_ASSIGN_OR_RETURN(std::string text, String());
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  return Error("expected true or false, got " + Quote(text));
}

Result<int64_t> YamlField::Int() const {
  STRATA_ASSIGN_OR_RETURN(std::string text, String());
  if (std::optional<int64_t> value = ParseInteger<int64_t>(text)) return *value;
  return Error("expected a whole number, got " + Quote(text));
}

Result<std::vector<std::string>> YamlField::StringList() const {
  if (IsScalar()) {
    STRATA_ASSIGN_OR_RETURN(std::string single, String());
    return std::vector<std::string>{single};
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<YamlField> items, Items());
  std::vector<std::string> values;
  for (const YamlField& item : items) {
    STRATA_ASSIGN_OR_RETURN(std::string value, item.String());
    values.push_back(std::move(value));
  }
  return values;
}

Result<std::string> YamlField::Choice(const std::vector<std::string_view>& choices) const {
  STRATA_ASSIGN_OR_RETURN(std::string text, String());
  for (std::string_view choice : choices) {
    if (choice == text) return text;
  }
  return Error("expected one of " + JoinChoices(choices) + ", got " + Quote(text));
}

Result<std::string> GetString(const YamlField& map, std::string_view key, std::string fallback) {
  std::optional<YamlField> field = map.Get(key);
  if (!field) return fallback;
  return field->String();
}

Result<std::vector<std::string>> GetStringList(const YamlField& map, std::string_view key) {
  std::optional<YamlField> field = map.Get(key);
  if (!field) return std::vector<std::string>{};
  return field->StringList();
}

}  // namespace strata::pipeline
