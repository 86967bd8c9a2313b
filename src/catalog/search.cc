// The search index and Catalog::Search. Both dialects index the same folded text (text.h), so
// accents and case never matter and results agree: SQLite in an FTS5 table ranked by bm25,
// PostgreSQL in a tsvector (GIN) ranked by ts_rank with the same field weights.
#include <algorithm>
#include <map>
#include <set>

#include "catalog/catalog.h"
#include "catalog/catalog_internal.h"
#include "catalog/text.h"

namespace strata::catalog {
namespace {

std::string JoinWords(const std::string& text) {
  std::string out;
  for (const std::string& w : Words(text)) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

struct SearchDoc {
  std::string name, context, labels, description, owner;
};

// Kinds people look for first when scores are close: a table over the pipeline that builds it
// (a pipeline's tags and description repeat its tables' words) and over one of its columns.
double KindBonus(const std::string& kind) {
  if (kind == "table") return 1.0;
  if (kind == "pipeline") return 0.8;
  if (kind == "file" || kind == "task") return 0.5;
  return 0.0;
}

}  // namespace

namespace internal {

Status RefreshSearch(Store& store, int64_t id) {
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      store.Query("SELECT a.kind, a.display_name, a.name, a.layer, a.format, a.description, "
                  "a.owner, a.removed, p.name, p.description, a.data_type FROM assets a "
                  "LEFT JOIN assets p ON p.id = a.parent_id WHERE a.id = ?",
                  {id}));
  bool sqlite = store.dialect() == Dialect::kSqlite;
  if (sqlite) {
    STRATA_RETURN_IF_ERROR(store.Execute("DELETE FROM asset_search WHERE rowid = ?", {id}));
  }
  if (rows.empty() || rows[0].Int(7) != 0) {
    if (!sqlite) {
      return store.Execute("DELETE FROM asset_search WHERE asset_id = ?", {id});
    }
    return Status::OK();
  }
  const SqlRow& r = rows[0];
  SearchDoc doc;
  const std::string& kind = r.Text(0);
  // The name field holds the asset's own name; where it lives (its table, layer, pipeline)
  // goes to the low-weight context so "fluxo de caixa" ranks the table above its columns.
  doc.name = JoinWords(r.Text(1));
  if (kind == "file") doc.name = JoinWords(r.Text(2));
  doc.context = JoinWords(r.Text(3) + " " + r.Text(4) + " " + r.Text(8) + " " + r.Text(10));
  doc.description = JoinWords(r.Text(5));
  doc.owner = JoinWords(r.Text(6));
  STRATA_ASSIGN_OR_RETURN(
      SqlRows labels,
      store.Query("SELECT label FROM asset_labels WHERE asset_id = ? AND source <> 'removed'",
                  {id}));
  for (const SqlRow& label : labels) doc.labels += JoinWords(label.Text(0)) + " ";
  if (sqlite) {
    return store.Execute(
        "INSERT INTO asset_search (rowid, name, context, labels, description, owner) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        {id, doc.name, doc.context, doc.labels, doc.description, doc.owner});
  }
  return store.Execute(
      "INSERT INTO asset_search (asset_id, doc) VALUES (?, "
      "setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B') || "
      "setweight(to_tsvector('simple', ?), 'B') || setweight(to_tsvector('simple', ?), 'C') || "
      "setweight(to_tsvector('simple', ?), 'D')) "
      "ON CONFLICT (asset_id) DO UPDATE SET doc = excluded.doc",
      {id, doc.name, doc.labels, doc.owner, doc.description, doc.context});
}

}  // namespace internal

Result<std::vector<SearchHit>> Catalog::Search(const std::string& query, int limit) {
  std::vector<std::string> terms = SearchTerms(query);
  if (terms.empty() || limit <= 0) return std::vector<SearchHit>();
  // Fetch more than asked and re-rank with what the index cannot weigh: exact words of the
  // asset's own name and the kind of asset.
  int fetch = std::max(limit * 4, 40);
  for (const char* joiner : {"AND", "OR"}) {
    bool all = std::string(joiner) == "AND";
    if (!all && terms.size() == 1) break;
    SqlRows rows;
    if (store_->dialect() == Dialect::kSqlite) {
      std::string match;
      for (const std::string& t : terms) {
        if (!match.empty()) match += std::string(" ") + joiner + " ";
        match += "\"" + t + "\"*";  // terms are folded words: no quotes inside
      }
      STRATA_ASSIGN_OR_RETURN(
          rows, store_->Query(
                    // Rank inside the index first and join only the top rows: joining every
                    // match before sorting costs more than the ranking itself.
                    "SELECT a.name, a.kind, a.display_name, a.description, a.owner, s.score "
                    "FROM (SELECT rowid AS id, -rank AS score FROM asset_search "
                    "WHERE asset_search MATCH ? ORDER BY rank LIMIT ?) s "
                    "JOIN assets a ON a.id = s.id WHERE a.removed = 0 ORDER BY s.score DESC",
                    {match, int64_t{fetch}}));
    } else {
      std::string tsquery;
      for (const std::string& t : terms) {
        if (!tsquery.empty()) tsquery += all ? " & " : " | ";
        std::string quoted;
        for (char c : t) quoted += c == '\'' ? std::string("''") : std::string(1, c);
        tsquery += "'" + quoted + "':*";
      }
      // As for SQLite: rank the index rows alone and join only the top ones. Joining every
      // match before the sort made PostgreSQL fetch thousands of asset rows (and plan a
      // parallel sort) for a common word: 90-300 ms at 100k assets against 5-10 ms this way.
      // Removed assets have no index row (RefreshSearch deletes it); the filter is a backstop.
      STRATA_ASSIGN_OR_RETURN(
          rows, store_->Query("SELECT a.name, a.kind, a.display_name, a.description, a.owner, "
                              "s.score FROM (SELECT asset_id, "
                              "ts_rank('{0.1, 0.2, 0.6, 1.0}', doc, q) * 10 AS score "
                              "FROM asset_search, to_tsquery('simple', ?) q WHERE doc @@ q "
                              "ORDER BY score DESC LIMIT ?) s JOIN assets a ON a.id = s.asset_id "
                              "WHERE a.removed = 0 ORDER BY s.score DESC, a.name",
                              {tsquery, int64_t{fetch}}));
    }
    if (rows.empty()) continue;
    std::vector<SearchHit> hits;
    for (const SqlRow& row : rows) {
      SearchHit hit;
      hit.name = row.Text(0);
      hit.kind = row.Text(1);
      hit.display_name = row.Text(2);
      hit.description = row.Text(3);
      hit.owner = row.Text(4);
      hit.score = row.Double(5);
      std::vector<std::string> own = Words(hit.display_name);
      std::set<std::string> own_set(own.begin(), own.end());
      size_t exact = 0;
      for (const std::string& t : terms) exact += own_set.contains(t) ? 1 : 0;
      hit.score += 2.0 * static_cast<double>(exact) / static_cast<double>(terms.size()) +
                   KindBonus(hit.kind);
      hits.push_back(std::move(hit));
    }
    std::stable_sort(hits.begin(), hits.end(), [](const SearchHit& a, const SearchHit& b) {
      if (a.score != b.score) return a.score > b.score;
      return a.name < b.name;
    });
    if (static_cast<int>(hits.size()) > limit) hits.resize(limit);
    return hits;
  }
  return std::vector<SearchHit>();
}

}  // namespace strata::catalog
