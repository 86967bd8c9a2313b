// Select: which sources and models a run or test covers (--select, --layer).
#include <algorithm>
#include <set>

#include "pipeline/graph.h"

namespace strata::pipeline {
namespace {

struct Matches {
  std::vector<std::string> sources;
  std::vector<size_t> models;
};

Result<Matches> Match(const Project& project, const ModelGraph& graph, const std::string& name) {
  Matches found;
  bool qualified = name.find('.') != std::string::npos;
  std::vector<std::string> all;
  std::string wanted = name;
  for (char& c : wanted) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const SourceSpec& source : project.sources) {
    const lake::TableName& t = source.spec.table;
    all.push_back(t.ToString());
    if (qualified ? t.ToString() == wanted : t.name == wanted) found.sources.push_back(t.name);
  }
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const lake::TableName& t = graph.nodes[i].model->table;
    all.push_back(t.ToString());
    if (qualified ? t.ToString() == wanted : t.name == wanted) found.models.push_back(i);
  }
  size_t count = found.sources.size() + found.models.size();
  if (count == 0) {
    std::string message = "--select " + name + ": no source or model of the project is named so";
    std::vector<std::string> close = lake::CloseNames(wanted, all, 3);
    if (!close.empty()) {
      message += " (did you mean ";
      for (size_t i = 0; i < close.size(); ++i) message += (i ? ", " : "") + close[i];
      message += "?)";
    }
    return Status::NotFound(message);
  }
  if (count > 1) {
    return Status::InvalidArgument("--select " + name +
                                   ": several tables have this name; write it as layer.name");
  }
  return found;
}

void Walk(const ModelGraph& graph, size_t start, bool up, std::set<size_t>& into) {
  const std::vector<size_t>& next =
      up ? graph.nodes[start].upstream : graph.nodes[start].downstream;
  for (size_t n : next) {
    if (into.insert(n).second) Walk(graph, n, up, into);
  }
}

}  // namespace

Result<SelectedNodes> Select(const Project& project, const ModelGraph& graph,
                             const Selection& selection) {
  std::set<std::string> sources;
  std::set<size_t> models;
  if (selection.names.empty()) {
    for (const SourceSpec& source : project.sources) sources.insert(source.spec.name);
    for (size_t i = 0; i < graph.nodes.size(); ++i) models.insert(i);
  }
  for (std::string name : selection.names) {
    bool with_upstream = !name.empty() && name.front() == '+';
    if (with_upstream) name.erase(name.begin());
    bool with_downstream = !name.empty() && name.back() == '+';
    if (with_downstream) name.pop_back();
    STRATA_ASSIGN_OR_RETURN(Matches found, Match(project, graph, name));
    sources.insert(found.sources.begin(), found.sources.end());
    for (size_t model : found.models) {
      models.insert(model);
      if (with_upstream) Walk(graph, model, true, models);
      if (with_downstream) Walk(graph, model, false, models);
    }
    if (with_upstream) {
      // Sources feed everything upstream: a model's upstream includes the sources it reads.
      std::set<size_t> closure = models;
      for (size_t model : closure) {
        for (const auto* reads : {&graph.nodes[model].reads, &graph.nodes[model].test_reads}) {
          for (const lake::TableName& table : *reads) {
            if (const SourceSpec* source = project.FindSource(table)) {
              sources.insert(source->spec.name);
            }
          }
        }
      }
    }
  }
  SelectedNodes selected;
  for (const SourceSpec& source : project.sources) {
    if (sources.count(source.spec.name) == 0) continue;
    if (!selection.layer.empty() && source.spec.table.layer != selection.layer) continue;
    selected.sources.push_back(source.spec.name);
  }
  for (size_t model : models) {
    if (!selection.layer.empty() && graph.nodes[model].model->table.layer != selection.layer) {
      continue;
    }
    selected.models.push_back(model);
  }
  return selected;
}

}  // namespace strata::pipeline
