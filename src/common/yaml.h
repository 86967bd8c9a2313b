// The one way strata reads YAML text: yaml-cpp's parser with its exceptions caught, and the
// document's size after alias expansion bounded.
//
// yaml-cpp gives an anchor's node to each of its aliases, so parsing a "billion laughs" document
// (lists of aliases of lists of aliases) is cheap, but every later walk over it (conversion to
// JSON, validation, key lookups) visits each alias again: a few hundred bytes stand for billions
// of nodes, and an anchor may even hold an alias of itself (a cycle). LoadYaml walks the document
// once as every reader would see it and refuses it when that walk exceeds the budget, so no
// reader of a document it returns can run away.
//
// Thread safety: pure function. The returned node is owned by the caller.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string_view>

#include "common/result.h"

namespace strata {

struct YamlLimits {
  // Nodes in the expanded document (every alias counted as the whole subtree it stands for):
  // `base_nodes` plus `nodes_per_byte` for each byte of text. A document without aliases has
  // fewer nodes than bytes, so only alias expansion can reach the budget.
  size_t base_nodes = 100'000;
  size_t nodes_per_byte = 10;
  // Nesting depth after expansion (yaml-cpp's own parser stops at 2,000 written levels).
  int max_depth = 256;
};

// Parses one YAML document. `name` is the file as shown in messages; `line_offset` is added to
// every line (YAML embedded in another file). Errors are InvalidArgument:
//   "<name>:<line>:<column>: invalid YAML: <what>" for syntax errors and text that is not UTF-8,
//   "<name>: YAML document too large after alias expansion ..." or "... nested deeper than ..."
// for documents over the limits.
Result<YAML::Node> LoadYaml(std::string_view text, std::string_view name, int line_offset = 0,
                            const YamlLimits& limits = {});

}  // namespace strata
