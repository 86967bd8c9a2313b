// Strict, located reading of project YAML files.
//
// Every value read through a YamlField knows where it came from, so every error names the file,
// the line, the column and the field: "models/silver/x.yaml:12:5: tests[2].action: expected one
// of warn, fail, quarantine, got 'quarentine'". Mappings are checked against the keys the
// format allows: an unknown key (a typo) is an error with the closest allowed key suggested,
// never silently ignored.
//
// yaml-cpp reports problems with exceptions; they are caught here and never leave this file.
// Thread safety: a YamlDocument is immutable after parsing; fields hold shared node handles.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace YAML {
class Node;
}

namespace strata::pipeline {

// Where something was declared, for messages: "models/gold/x.yaml:7:3".
struct SourceLocation {
  std::string file;  // as displayed (project-relative)
  int line = 0;      // 1-based; 0 = unknown
  int column = 0;    // 1-based; 0 = unknown
  std::string ToString() const;
};

class YamlField;

class YamlDocument {
 public:
  // Parses `text`; `display_name` is used in messages and `line_offset` is added to every line
  // (for YAML embedded in a .sql comment). A syntax error is InvalidArgument naming the place.
  static Result<std::shared_ptr<const YamlDocument>> Parse(std::string text,
                                                           std::string display_name,
                                                           int line_offset = 0);
  // Reads and parses a file; `display_name` as above. IOError if it cannot be read.
  static Result<std::shared_ptr<const YamlDocument>> Load(const std::string& path,
                                                          std::string display_name);
  ~YamlDocument();

  const std::string& name() const { return name_; }
  // The top-level node, with an empty field path.
  YamlField Root() const;

 private:
  friend class YamlField;
  YamlDocument() = default;
  std::string name_;
  int line_offset_ = 0;
  std::unique_ptr<YAML::Node> root_;
};

// One node of a document plus its field path ("tests[2].action").
class YamlField {
 public:
  YamlField(const YamlField&);
  YamlField& operator=(const YamlField&);
  ~YamlField();

  const std::string& path() const { return path_; }
  SourceLocation location() const;
  // InvalidArgument "<file>:<line>:<col>: <path>: <message>".
  Status Error(std::string_view message) const;

  bool IsNull() const;  // absent or `~`
  bool IsMap() const;
  bool IsList() const;
  bool IsScalar() const;
  // True for a plain (unquoted) scalar: `1.5` is plain, `"1.5"` is not.
  bool IsPlainScalar() const;

  // Requires a mapping whose keys are all in `allowed`; an unknown key is an error at that
  // key, suggesting the closest allowed one.
  Status CheckKeys(const std::vector<std::string_view>& allowed) const;
  // The value of `key` in a mapping, or nullopt if absent (an explicit null counts as absent).
  std::optional<YamlField> Get(std::string_view key) const;
  bool Has(std::string_view key) const { return Get(key).has_value(); }
  // Keys of a mapping in document order.
  std::vector<std::string> Keys() const;
  // Items of a list, paths "<path>[i]".
  Result<std::vector<YamlField>> Items() const;

  Result<std::string> String() const;  // any scalar, as written
  Result<bool> Bool() const;
  Result<int64_t> Int() const;
  // A scalar or a list of scalars, as a list.
  Result<std::vector<std::string>> StringList() const;
  // A string one of `choices`.
  Result<std::string> Choice(const std::vector<std::string_view>& choices) const;

 private:
  friend class YamlDocument;
  YamlField(const YamlDocument* document, std::unique_ptr<YAML::Node> node, std::string path);
  const YamlDocument* document_;
  std::unique_ptr<YAML::Node> node_;
  std::string path_;
};

// Optional typed getters over a mapping: absent -> `fallback`.
Result<std::string> GetString(const YamlField& map, std::string_view key,
                              std::string fallback = "");
Result<std::vector<std::string>> GetStringList(const YamlField& map, std::string_view key);

}  // namespace strata::pipeline
