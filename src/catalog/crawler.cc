#include "catalog/crawler.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "lake/lake.h"
#include "lake/session.h"

namespace strata::catalog {
namespace fs = std::filesystem;
namespace {

std::string FormatOf(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (ext == ".parquet") return "parquet";
  if (ext == ".csv" || ext == ".tsv") return "csv";
  if (ext == ".json" || ext == ".jsonl" || ext == ".ndjson") return "json";
  return "";
}

bool Hidden(const fs::path& path) {
  std::string name = path.filename().string();
  return !name.empty() && (name[0] == '.' || name[0] == '_');
}

std::string Reader(const std::string& format, const std::string& path, bool hive) {
  std::string literal = engine::QuoteLiteral(path);
  std::string options = hive ? ", hive_partitioning = true" : "";
  if (format == "parquet") return "read_parquet(" + literal + options + ")";
  if (format == "csv") return "read_csv(" + literal + options + ")";
  return "read_json_auto(" + literal + options + ")";
}

std::string IsoFromTime(fs::file_time_type t) {
  auto system = std::chrono::file_clock::to_sys(t);
  std::time_t seconds = std::chrono::system_clock::to_time_t(system);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string TextOf(const engine::Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return "";
}

// "csv(delimiter=';', quote='\"', header=true)" from DuckDB's sniffer.
std::string CsvDialect(engine::Connection& connection, const std::string& path) {
  auto rows = connection.QueryRows("SELECT Delimiter, Quote, HasHeader FROM sniff_csv(" +
                                   engine::QuoteLiteral(path) + ")");
  if (!rows.ok() || rows->empty()) return "csv";
  const auto& r = (*rows)[0];
  // The sniffer reports "(empty)" when fields are not quoted.
  auto shown = [](std::string text) { return text == "(empty)" ? std::string() : text; };
  return "csv(delimiter=" + engine::QuoteLiteral(TextOf(r[0])) +
         ", quote=" + engine::QuoteLiteral(shown(TextOf(r[1]))) + ", header=" + TextOf(r[2]) + ")";
}

struct Candidate {
  fs::path path;
  std::string format;  // delta, parquet, csv, json
  bool partitioned = false;
  std::vector<std::string> partition_columns;
};

// Partition keys of a hive-style folder (key=value subdirectories), and the data format
// inside; empty keys if `dir` is not one.
std::pair<std::vector<std::string>, std::string> HiveLayout(const fs::path& dir) {
  std::vector<std::string> keys;
  std::set<std::string> formats;
  fs::path level = dir;
  while (true) {
    std::string key;
    fs::path next;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(level, ec)) {
      if (Hidden(entry.path())) continue;
      if (entry.is_directory()) {
        std::string name = entry.path().filename().string();
        size_t eq = name.find('=');
        if (eq == std::string::npos || eq == 0) return {{}, ""};
        key = name.substr(0, eq);
        next = entry.path();
      } else if (!FormatOf(entry.path()).empty()) {
        formats.insert(FormatOf(entry.path()));
      }
    }
    if (key.empty()) break;
    keys.push_back(key);
    level = next;
  }
  if (keys.empty() || formats.size() != 1) return {{}, ""};
  return {keys, *formats.begin()};
}

void Discover(const fs::path& dir, std::vector<Candidate>& out) {
  if (fs::is_directory(dir / "_delta_log")) {
    out.push_back({dir, "delta", false, {}});
    return;
  }
  auto [keys, format] = HiveLayout(dir);
  if (!keys.empty()) {
    out.push_back({dir, format, true, keys});
    return;
  }
  std::error_code ec;
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(dir, ec)) entries.push_back(entry.path());
  std::sort(entries.begin(), entries.end());
  for (const fs::path& p : entries) {
    if (Hidden(p)) continue;
    if (fs::is_directory(p)) {
      Discover(p, out);
    } else if (std::string f = FormatOf(p); !f.empty()) {
      out.push_back({p, f, false, {}});
    }
  }
}

int64_t SizeOf(const fs::path& p) {
  if (!fs::is_directory(p)) return static_cast<int64_t>(fs::file_size(p));
  int64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(p, ec)) {
    if (e.is_regular_file()) total += static_cast<int64_t>(e.file_size());
  }
  return total;
}

}  // namespace

Result<std::vector<std::string>> ClassifyTable(Catalog& catalog, engine::Connection& connection,
                                               const std::string& table,
                                               const std::string& relation_sql,
                                               const ClassifierOptions& options, int sample_rows) {
  // A fixed seed over a LIMIT, which keeps the table's order and hands the sample one stream
  // even on many threads: the same data gives the same sample, so classifications do not
  // flicker (DuckDB's seed alone is repeatable only single-threaded). The
  // sample is drawn from a bounded prefix of the rows (kSamplePool per sampled row): a reservoir
  // over the whole relation reads every row of every column, 0.75 s for a 3.6M-row table, on
  // every run that syncs it.
  constexpr int64_t kSamplePool = 64;
  const int64_t rows = std::max(sample_rows, 1);
  std::string sql = "SELECT * FROM (SELECT * FROM " + relation_sql + " LIMIT " +
                    std::to_string(rows * kSamplePool) + ") USING SAMPLE reservoir(" +
                    std::to_string(rows) + " ROWS) REPEATABLE (7)";
  STRATA_ASSIGN_OR_RETURN(auto result, connection.Query(sql));
  std::vector<ColumnSample> samples;
  for (const engine::Column& c : result->columns()) samples.push_back({c.name, c.type_name, {}});
  while (true) {
    STRATA_ASSIGN_OR_RETURN(auto chunk, result->Next());
    if (!chunk) break;
    for (int c = 0; c < chunk->column_count(); ++c) {
      for (int64_t r = 0; r < chunk->size(); ++r) {
        if (!chunk->IsNull(c, r)) samples[c].values.push_back(chunk->Text(c, r));
      }
    }
  }
  std::vector<std::string> report;
  for (const ColumnSample& sample : samples) {
    STRATA_ASSIGN_OR_RETURN(std::vector<Classification> found, ClassifyColumn(sample, options));
    std::vector<ClassificationRecord> records;
    for (const Classification& c : found) {
      records.push_back({table + "." + sample.name, c.class_name, "proposed", c.confidence,
                         c.method, c.evidence, ""});
      char confidence[16];
      std::snprintf(confidence, sizeof confidence, "%.2f", c.confidence);
      report.push_back(sample.name + ": " + c.class_name + " (" + confidence + ")");
    }
    Status recorded = catalog.RecordClassifications(table + "." + sample.name, records);
    if (recorded.IsNotFound()) continue;  // a column the catalog does not list (not synced)
    STRATA_RETURN_IF_ERROR(recorded);
  }
  STRATA_RETURN_IF_ERROR(catalog.PropagateClassifications().status());
  return report;
}

Result<CrawlReport> Crawl(Catalog& catalog, engine::Connection& connection, const std::string& root,
                          const CrawlOptions& options) {
  std::error_code ec;
  fs::path start = fs::weakly_canonical(fs::absolute(root), ec);
  if (ec || !fs::exists(start)) return Status::NotFound("crawl: " + root + " does not exist");
  std::vector<Candidate> candidates;
  if (fs::is_directory(start)) {
    Discover(start, candidates);
  } else if (!FormatOf(start).empty()) {
    candidates.push_back({start, FormatOf(start), false, {}});
  } else {
    return Status::InvalidArgument("crawl: " + root + " is not a directory or a data file");
  }
  CrawlReport report;
  lake::LakeSession session(std::nullopt, connection);
  for (const Candidate& c : candidates) {
    std::string path = c.path.string();
    TableMetadata table;
    table.name = path;
    table.layer = "files";
    table.location = path;
    table.source = MetadataSource::kCrawler;
    table.format = c.format;
    std::string relation;
    if (c.format == "delta") {
      auto bound = session.BindTable(path);
      if (!bound.ok()) {
        report.skipped.push_back(path + ": " + bound.status().message());
        continue;
      }
      relation = bound->view;
      table.version = bound->version;
      table.size_bytes = bound->snapshot->TotalBytes();
      table.columns.clear();
    } else {
      std::string glob = c.partitioned ? (c.path / "**" /
                                          ("*." + std::string(c.format == "json"  ? "json*"
                                                              : c.format == "csv" ? "csv"
                                                                                  : "parquet")))
                                             .string()
                                       : path;
      relation = Reader(c.format, glob, c.partitioned);
      if (c.format == "csv" && !c.partitioned) table.format = CsvDialect(connection, path);
      table.size_bytes = SizeOf(c.path);
    }
    table.data_updated_at = IsoFromTime(fs::last_write_time(c.path, ec));
    auto described = connection.QueryRows("DESCRIBE SELECT * FROM " + relation);
    if (!described.ok()) {
      report.skipped.push_back(path + ": " + described.status().message());
      continue;
    }
    for (const auto& row : *described)
      table.columns.push_back({TextOf(row[0]), TextOf(row[1]), "", {}, ""});
    // Best effort: a table whose rows cannot be counted is listed without a count.
    Result<int64_t> count = engine::QueryInt64(connection, "SELECT count(*) FROM " + relation);
    if (count.ok()) table.row_count = *count;
    CrawledTable crawled;
    crawled.name = path;
    crawled.format = c.format;
    crawled.partition_columns = c.partition_columns;
    crawled.row_count = table.row_count.value_or(0);
    STRATA_ASSIGN_OR_RETURN(crawled.outcome, catalog.UpsertTable(table));
    if (options.classify) {
      STRATA_ASSIGN_OR_RETURN(crawled.classified,
                              ClassifyTable(catalog, connection, path, relation, options.classifier,
                                            options.sample_rows));
    }
    report.tables.push_back(std::move(crawled));
  }
  return report;
}

}  // namespace strata::catalog
