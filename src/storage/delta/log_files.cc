#include "storage/delta/log_files.h"

#include <cctype>
#include <cstdio>

#include "common/numbers.h"

namespace strata::delta {
namespace {

bool Digits(std::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<LogFile> ParseLogFileName(const storage::ObjectInfo& object) {
  std::string_view name = object.key;
  if (size_t slash = name.rfind('/'); slash != std::string_view::npos) {
    name = name.substr(slash + 1);
  }
  if (name.size() < 25 || !Digits(name.substr(0, 20), 20) || name[20] != '.') return std::nullopt;
  LogFile f;
  f.object = object;
  std::optional<int64_t> version = ParseInteger<int64_t>(name.substr(0, 20));
  if (!version) return std::nullopt;  // 20 digits can exceed int64: not a log file of ours
  f.version = *version;
  std::string_view rest = name.substr(21);
  if (rest == "json") {
    f.type = LogFileType::kCommit;
    return f;
  }
  if (rest == "checkpoint.parquet") {
    f.type = LogFileType::kCheckpoint;
    f.parquet = true;
    return f;
  }
  constexpr std::string_view kCheckpoint = "checkpoint.";
  if (rest.substr(0, kCheckpoint.size()) == kCheckpoint) {
    std::string_view tail = rest.substr(kCheckpoint.size());  // "<a>.<b>.parquet" | "<uuid>.ext"
    if (tail.size() == 10 + 1 + 10 + 8 && Digits(tail.substr(0, 10), 10) && tail[10] == '.' &&
        Digits(tail.substr(11, 10), 10) && tail.substr(21) == ".parquet") {
      f.type = LogFileType::kMultiPartCheckpoint;
      f.parquet = true;
      f.part = ParseInteger<int>(tail.substr(0, 10)).value_or(0);
      f.num_parts = ParseInteger<int>(tail.substr(11, 10)).value_or(0);
      if (f.part < 1 || f.num_parts < 1 || f.part > f.num_parts) return std::nullopt;
      return f;
    }
    if (tail.size() > 37 && IsUuid(tail.substr(0, 36)) && tail[36] == '.') {
      std::string_view ext = tail.substr(37);
      if (ext != "json" && ext != "parquet") return std::nullopt;
      f.type = LogFileType::kV2Checkpoint;
      f.parquet = ext == "parquet";
      return f;
    }
    return std::nullopt;
  }
  if (rest.size() == 20 + 15 && Digits(rest.substr(0, 20), 20) &&
      rest.substr(20) == ".compacted.json") {
    f.type = LogFileType::kCompactedLog;
    return f;
  }
  return std::nullopt;
}

std::string JoinKey(std::string_view root, std::string_view relative) {
  if (root.empty()) return std::string(relative);
  std::string out(root);
  if (out.back() != '/') out += '/';
  out += relative;
  return out;
}

std::string PaddedVersion(int64_t version) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020lld", static_cast<long long>(version));
  return buf;
}

std::string DeltaLogPrefix(std::string_view table_root) {
  return JoinKey(table_root, "_delta_log/");
}

std::string CommitKey(std::string_view table_root, int64_t version) {
  return DeltaLogPrefix(table_root) + PaddedVersion(version) + ".json";
}

std::string LastCheckpointKey(std::string_view table_root) {
  return DeltaLogPrefix(table_root) + "_last_checkpoint";
}

Result<std::string> DecodeUriPath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    int hi = i + 2 < path.size() ? HexValue(path[i + 1]) : -1;
    int lo = i + 2 < path.size() ? HexValue(path[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Status::Corruption("path '" + std::string(path) + "' has a malformed %-escape");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string EncodeUriPath(std::string_view path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    bool keep =
        std::isalnum(c) ||
        std::string_view("-._~!$&'()*+,;=:@/").find(static_cast<char>(c)) != std::string_view::npos;
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string FileLocation::Describe() const {
  if (key) return *key;
  return local_path.value_or("<nowhere>");
}

Result<FileLocation> ResolveActionPath(const storage::ObjectStore& store,
                                       std::string_view table_root, std::string_view path) {
  FileLocation loc;
  size_t colon = path.find(':');
  size_t slash = path.find('/');
  bool absolute =
      colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash);
  if (!absolute) {
    STRATA_ASSIGN_OR_RETURN(std::string decoded, DecodeUriPath(path));
    loc.key = JoinKey(table_root, decoded);
    return loc;
  }
  std::string_view scheme = path.substr(0, colon);
  if (scheme != "file") {
    return Status::Unsupported("absolute path '" + std::string(path) + "' with scheme '" +
                               std::string(scheme) + "' is not supported");
  }
  std::string_view rest = path.substr(colon + 1);  // "///abs", "/abs" or "//host/abs"
  if (rest.substr(0, 3) == "///") {
    rest = rest.substr(2);
  } else if (rest.substr(0, 2) == "//") {
    size_t next = rest.find('/', 2);
    std::string_view host = rest.substr(2, next == std::string_view::npos ? rest.npos : next - 2);
    if (!host.empty() && host != "localhost") {
      return Status::Unsupported("file URI with host '" + std::string(path) + "'");
    }
    rest = next == std::string_view::npos ? "/" : rest.substr(next);
  }
  STRATA_ASSIGN_OR_RETURN(std::string local, DecodeUriPath(rest));
  // A file inside the store's own directory is addressed by key, so non-local copies work too.
  std::string store_uri = store.Uri();
  constexpr std::string_view kFile = "file://";
  if (store_uri.rfind(kFile, 0) == 0) {
    std::string base = store_uri.substr(kFile.size());
    if (!base.empty() && base.back() != '/') base += '/';
    if (local.rfind(base, 0) == 0 && local.size() > base.size()) {
      loc.key = local.substr(base.size());
      return loc;
    }
  }
  loc.local_path = std::move(local);
  return loc;
}

}  // namespace strata::delta
