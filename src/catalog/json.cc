#include "catalog/json.h"

namespace strata::catalog {

nlohmann::json LineageNodeJson(const LineageNode& node) {
  return {{"name", node.name}, {"kind", node.kind}, {"depth", node.depth}};
}

nlohmann::json LineageEdgeJson(const LineageEdgeInfo& edge) {
  return {
      {"from", edge.from},
      {"to", edge.to},
      {"level", edge.level},
      {"kind", edge.kind},
      {"transformation", edge.transformation},
      {"subtype", edge.subtype},
      {"job", edge.job},
      {"run_id", edge.run_id},
      {"to_version", edge.to_version ? nlohmann::json(*edge.to_version) : nlohmann::json(nullptr)}};
}

}  // namespace strata::catalog
