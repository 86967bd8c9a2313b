#include "common/yaml.h"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "common/utf8.h"

namespace strata {
namespace {

std::string Where(std::string_view name, const YAML::Mark& mark, int line_offset) {
  std::string out(name);
  if (!mark.is_null()) {
    out +=
        ":" + std::to_string(mark.line + 1 + line_offset) + ":" + std::to_string(mark.column + 1);
  }
  return out;
}

// Visits every node of the expanded document iteratively (an explicit stack: the input decides
// the depth), stopping at the first limit crossed.
Status CheckExpansion(const YAML::Node& root, std::string_view name, int line_offset, size_t budget,
                      int max_depth) {
  std::vector<std::pair<YAML::Node, int>> pending;
  pending.emplace_back(root, 0);
  size_t visited = 0;
  while (!pending.empty()) {
    auto [node, depth] = std::move(pending.back());
    pending.pop_back();
    if (++visited > budget) {
      return Status::InvalidArgument(
          std::string(name) + ": YAML document too large after alias expansion (more than " +
          std::to_string(budget) +
          " nodes): aliases (*name) repeat their anchor's whole value; write values out or "
          "use fewer nested aliases");
    }
    if (depth > max_depth) {
      return Status::InvalidArgument(Where(name, node.Mark(), line_offset) +
                                     ": YAML nested deeper than " + std::to_string(max_depth) +
                                     " levels (an anchor that contains an alias of itself?)");
    }
    if (node.IsSequence()) {
      for (const YAML::Node& item : node) pending.emplace_back(item, depth + 1);
    } else if (node.IsMap()) {
      for (const auto& entry : node) {
        pending.emplace_back(entry.first, depth + 1);
        pending.emplace_back(entry.second, depth + 1);
      }
    }
  }
  return Status::OK();
}

}  // namespace

Result<YAML::Node> LoadYaml(std::string_view text, std::string_view name, int line_offset,
                            const YamlLimits& limits) {
  if (size_t bad = FindInvalidUtf8(text); bad != std::string_view::npos) {
    const size_t newline = text.rfind('\n', bad);  // text[bad] is not '\n' (ASCII is valid)
    const size_t line_begin = newline == std::string_view::npos ? 0 : newline + 1;
    YAML::Mark mark;
    mark.line = static_cast<int>(std::count(text.begin(), text.begin() + bad, '\n'));
    mark.column = static_cast<int>(bad - line_begin);
    return Status::InvalidArgument(Where(name, mark, line_offset) +
                                   ": invalid YAML: not UTF-8 text");
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
    size_t budget = limits.base_nodes + limits.nodes_per_byte * text.size();
    STRATA_RETURN_IF_ERROR(CheckExpansion(root, name, line_offset, budget, limits.max_depth));
  } catch (const YAML::Exception& error) {
    return Status::InvalidArgument(Where(name, error.mark, line_offset) +
                                   ": invalid YAML: " + error.msg);
  } catch (const std::exception& error) {
    return Status::InvalidArgument(std::string(name) + ": invalid YAML: " + error.what());
  }
  return root;
}

}  // namespace strata
