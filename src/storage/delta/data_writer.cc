#include "storage/delta/data_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <system_error>

#include "storage/delta/file_stats.h"
#include "storage/delta/log_files.h"

namespace strata::delta {
namespace {

namespace fs = std::filesystem;
using engine::QuoteIdentifier;
using engine::QuoteLiteral;

constexpr const char* kCopyOptions =
    "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880, RETURN_STATS";

std::string TempBase(const std::string& dir) {
  if (!dir.empty()) return dir;
  const char* env = std::getenv("TMPDIR");
  return env != nullptr && *env != '\0' ? env : "/tmp";
}

// fsync a file or directory so a committed log entry never points at bytes lost in a power cut.
Status SyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("open " + path + " to sync failed");
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::OK() : Status::IOError("fsync " + path + " failed");
}

Result<std::string> DecodeBase64Url(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) return Status::Internal("bad partition key from the engine: " + std::string(in));
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// Removes what a failed write left behind unless Release()d.
class WriteCleanup {
 public:
  explicit WriteCleanup(storage::ObjectStore& store) : store_(store) {}
  ~WriteCleanup() {
    if (released_) return;
    DeleteUncommittedFiles(store_, keys_);
    for (const auto& p : local_paths_) {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  }
  void AddKey(std::string key) { keys_.push_back(std::move(key)); }
  void AddLocal(std::string path) { local_paths_.push_back(std::move(path)); }
  void RemoveLocalNow() {
    for (const auto& p : local_paths_) {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
    local_paths_.clear();
  }
  void Release() { released_ = true; }

 private:
  storage::ObjectStore& store_;
  std::vector<std::string> keys_;
  std::vector<std::string> local_paths_;
  bool released_ = false;
};

struct CopiedFile {
  std::string local_path;
  int64_t rows = 0;
  int64_t bytes = 0;
  DuckFileStats stats;
  std::string partition_key;  // value of __strata_pk (partitioned writes)
};

Result<std::vector<CopiedFile>> RunCopy(engine::Connection& conn, const std::string& sql,
                                        bool partitioned) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::QueryResult> result, conn.Query(sql));
  std::vector<CopiedFile> files;
  while (true) {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::DataChunk> chunk, result->Next());
    if (!chunk) break;
    for (int64_t r = 0; r < chunk->size(); ++r) {
      CopiedFile f;
      STRATA_ASSIGN_OR_RETURN(f.local_path, chunk->GetString(0, r));
      STRATA_ASSIGN_OR_RETURN(f.rows, chunk->GetInt64(1, r));
      STRATA_ASSIGN_OR_RETURN(f.bytes, chunk->GetInt64(2, r));
      if (!chunk->IsNull(4, r)) {
        auto stats = ParseDuckColumnStatistics(chunk->Text(4, r));
        if (!stats.ok()) return stats.status().WithContext("stats of " + f.local_path);
        f.stats = std::move(stats).value();
      }
      if (partitioned) {
        STRATA_ASSIGN_OR_RETURN(auto keys, ParseDuckMapText(chunk->Text(5, r)));
        auto it = keys.find("__strata_pk");
        if (it == keys.end() || !it->second) {
          return Status::Internal("engine returned no partition key for " + f.local_path);
        }
        f.partition_key = *it->second;
      }
      files.push_back(std::move(f));
    }
  }
  return files;
}

}  // namespace

std::string NewUuid() {
  std::random_device rd;
  std::uniform_int_distribution<uint32_t> dist;
  unsigned char b[16];
  for (int i = 0; i < 16; i += 4) {
    uint32_t v = dist(rd);
    for (int k = 0; k < 4; ++k) b[i + k] = static_cast<unsigned char>(v >> (8 * k));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

void DeleteUncommittedFiles(storage::ObjectStore& store, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) (void)store.Delete(key);
}

Result<std::string> PartitionValueSql(const DataType& type, const std::string& c) {
  if (type.kind == DataType::Kind::kDecimal) return "CAST(" + c + " AS VARCHAR)";
  const std::string& n = type.name;
  if (type.kind != DataType::Kind::kPrimitive || n == "binary") {
    return Status::Unsupported("partition columns of type " + type.DeltaName() +
                               " are not supported for writing");
  }
  // Spark writes "" as a null partition value, and readers read it back as null.
  if (n == "string") return "NULLIF(" + c + ", '')";
  if (n == "float" || n == "double") {
    return "CASE WHEN isnan(" + c + ") THEN 'NaN' WHEN isinf(" + c + ") THEN CASE WHEN " + c +
           " > 0 THEN 'Infinity' ELSE '-Infinity' END ELSE CAST(" + c + " AS VARCHAR) END";
  }
  if (n == "timestamp") return "strftime(timezone('UTC', " + c + "), '%Y-%m-%d %H:%M:%S.%f')";
  if (n == "timestamp_ntz") return "strftime(" + c + ", '%Y-%m-%d %H:%M:%S.%f')";
  return "CAST(" + c + " AS VARCHAR)";  // integers, boolean ("true"), date ("YYYY-MM-DD")
}

std::string EscapePartitionPathName(std::string_view name) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : name) {
    bool escape =
        (c >= 0x01 && c <= 0x1F) || c == 0x7F ||
        std::string_view("\"#%'*/:=?\\{[]^").find(static_cast<char>(c)) != std::string_view::npos;
    if (escape) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string PartitionDirectory(std::string_view column, const std::optional<std::string>& value) {
  return EscapePartitionPathName(column) + "=" +
         (value ? EscapePartitionPathName(*value) : "__HIVE_DEFAULT_PARTITION__");
}

Result<WrittenFiles> WriteDataFiles(engine::Connection& conn, storage::ObjectStore& store,
                                    std::string_view table_root, const Schema& schema,
                                    const std::vector<std::string>& partition_columns,
                                    std::string_view select_sql, const DataWriteOptions& options) {
  Clock& clock = options.clock != nullptr ? *options.clock : Clock::System();
  const std::string write_id = NewUuid();
  std::vector<StructField> data_fields;
  std::vector<const StructField*> partition_fields;
  for (const std::string& p : partition_columns) {
    const StructField* f = schema.Find(p);
    if (f == nullptr) return Status::InvalidArgument("partition column '" + p + "' not in schema");
    partition_fields.push_back(f);
  }
  for (const StructField& f : schema.fields) {
    bool is_partition = false;
    for (const StructField* p : partition_fields) is_partition |= p == &f;
    if (!is_partition) data_fields.push_back(f);
  }
  if (data_fields.empty()) {
    return Status::InvalidArgument("a Delta table needs at least one non-partition column");
  }
  auto file_name = [&](size_t n) {
    return "part-" + write_id + "-" + std::to_string(n) + ".zstd.parquet";
  };

  WriteCleanup cleanup(store);
  WrittenFiles out;
  const int64_t now_millis = clock.NowMicros() / 1000;
  auto add_file = [&](const CopiedFile& f, std::string relative, PartitionValues values) {
    AddFile add;
    add.path = EncodeUriPath(relative);
    add.partition_values = std::move(values);
    add.size = f.bytes;
    add.modification_time = now_millis;
    add.data_change = options.data_change;
    add.stats = DeltaStatsJson(data_fields, f.rows, f.stats);
    out.rows += f.rows;
    out.bytes += f.bytes;
    out.adds.push_back(std::move(add));
  };

  if (partition_fields.empty()) {
    const std::string relative = file_name(0);
    const std::string key = JoinKey(table_root, relative);
    std::optional<std::string> local = store.LocalPath(key);
    std::string target;
    std::error_code ec;
    if (local) {
      target = *local;
      fs::create_directories(fs::path(target).parent_path(), ec);
      cleanup.AddKey(key);  // written in place: the store key is the file
    } else {
      fs::create_directories(TempBase(options.temp_dir), ec);
      target = TempBase(options.temp_dir) + "/strata-write-" + write_id + ".parquet";
      cleanup.AddLocal(target);
    }
    const std::string sql = "COPY (" + std::string(select_sql) + ") TO " + QuoteLiteral(target) +
                            " (" + kCopyOptions + ")";
    STRATA_ASSIGN_OR_RETURN(std::vector<CopiedFile> files, RunCopy(conn, sql, false));
    for (const CopiedFile& f : files) {
      if (f.rows == 0) continue;  // the cleanup removes the empty file
      if (local) {
        STRATA_RETURN_IF_ERROR(SyncPath(f.local_path));
        STRATA_RETURN_IF_ERROR(SyncPath(fs::path(f.local_path).parent_path().string()));
      } else {
        STRATA_RETURN_IF_ERROR(store.PutFile(key, f.local_path));
        cleanup.AddKey(key);
      }
      out.keys.push_back(key);
      add_file(f, relative, {});
    }
    if (out.adds.empty()) return out;  // the cleanup deletes the empty file
    cleanup.Release();
    if (!local) cleanup.RemoveLocalNow();
    return out;
  }

  // Partitioned: DuckDB splits by one key column holding the partition values as base64url of
  // a JSON list of Delta-spelled strings, so NULL, "", "NULL" and any character survive intact.
  std::string key_list;
  for (const StructField* p : partition_fields) {
    STRATA_ASSIGN_OR_RETURN(std::string v,
                            PartitionValueSql(p->type, "__strata_w." + QuoteIdentifier(p->name)));
    key_list += (key_list.empty() ? "" : ", ") + v;
  }
  const std::string key_expr = "rtrim(replace(replace(to_base64(encode(CAST(to_json([" + key_list +
                               "]) AS VARCHAR))), '+', '-'), '/', '_'), '=')";
  std::string columns;
  for (const StructField& f : data_fields)
    columns += "__strata_w." + QuoteIdentifier(f.name) + ", ";
  std::optional<std::string> staging_local =
      store.LocalPath(JoinKey(table_root, "_strata_staging/" + write_id));
  const std::string staging =
      staging_local ? *staging_local : TempBase(options.temp_dir) + "/strata-write-" + write_id;
  std::error_code ec;
  fs::create_directories(fs::path(staging).parent_path(), ec);
  cleanup.AddLocal(staging);
  const std::string sql = "COPY (SELECT " + columns + key_expr + " AS __strata_pk FROM (" +
                          std::string(select_sql) + ") AS __strata_w) TO " + QuoteLiteral(staging) +
                          " (" + kCopyOptions +
                          ", PARTITION_BY (__strata_pk), FILENAME_PATTERN 'part-{i}')";
  STRATA_ASSIGN_OR_RETURN(std::vector<CopiedFile> files, RunCopy(conn, sql, true));
  size_t n = 0;
  for (const CopiedFile& f : files) {
    if (f.rows == 0) continue;
    STRATA_ASSIGN_OR_RETURN(std::string key_json, DecodeBase64Url(f.partition_key));
    nlohmann::json values = nlohmann::json::parse(key_json, nullptr, false);
    if (!values.is_array() || values.size() != partition_fields.size()) {
      return Status::Internal("bad partition key from the engine: " + key_json);
    }
    PartitionValues pv;
    std::string dirs;
    for (size_t i = 0; i < partition_fields.size(); ++i) {
      std::optional<std::string> v;
      if (values[i].is_string()) v = values[i].get<std::string>();
      pv[partition_fields[i]->name] = v;
      dirs += PartitionDirectory(partition_fields[i]->name, v) + "/";
    }
    const std::string relative = dirs + file_name(n++);
    const std::string key = JoinKey(table_root, relative);
    STRATA_RETURN_IF_ERROR(store.PutFile(key, f.local_path));
    cleanup.AddKey(key);
    out.keys.push_back(key);
    add_file(f, relative, std::move(pv));
  }
  cleanup.RemoveLocalNow();
  cleanup.Release();
  return out;
}

}  // namespace strata::delta
