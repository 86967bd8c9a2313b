#include "ingest/mysql/position.h"

#include <charconv>
#include <cstdio>

namespace strata::ingest::mysql {
namespace {

Result<int64_t> FileSequence(std::string_view file) {
  size_t dot = file.rfind('.');
  int64_t seq = -1;
  if (dot != std::string_view::npos) {
    std::string_view digits = file.substr(dot + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
    if (ec != std::errc() || end != digits.data() + digits.size()) seq = -1;
  }
  if (seq < 0 || seq >= (int64_t{1} << 30)) {
    return Status::InvalidArgument("binlog file name '" + std::string(file) +
                                   "' has no sequence number suffix");
  }
  return seq;
}

}  // namespace

Result<int64_t> BinlogPosition::Version() const {
  STRATA_ASSIGN_OR_RETURN(int64_t seq, FileSequence(file));
  if (offset >= (uint64_t{1} << 32)) {
    return Status::InvalidArgument("binlog offset " + std::to_string(offset) + " past 4 GiB");
  }
  return (seq << 32) | static_cast<int64_t>(offset);
}

std::string BinlogPosition::ToString() const {
  return file + ":" + std::to_string(offset) + (gtid.empty() ? "" : " (gtid " + gtid + ")");
}

nlohmann::json BinlogPosition::ToJson() const {
  return {{"file", file}, {"offset", offset}, {"gtid", gtid}};
}

Result<BinlogPosition> BinlogPosition::FromJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("file") || !json["file"].is_string() ||
      !json.contains("offset") || !json["offset"].is_number_unsigned()) {
    return Status::Corruption("bad binlog position " + json.dump());
  }
  BinlogPosition p;
  p.file = json["file"].get<std::string>();
  p.offset = json["offset"].get<uint64_t>();
  if (json.contains("gtid") && json["gtid"].is_string()) p.gtid = json["gtid"].get<std::string>();
  return p;
}

BinlogPosition BinlogPosition::FromVersion(int64_t version, std::string_view base_name) {
  char seq[32];
  std::snprintf(seq, sizeof seq, "%06lld", static_cast<long long>(version >> 32));
  BinlogPosition p;
  p.file = std::string(base_name) + "." + seq;
  p.offset = static_cast<uint64_t>(version & 0xffffffffLL);
  return p;
}

bool Before(const BinlogPosition& a, const BinlogPosition& b) {
  Result<int64_t> va = a.Version(), vb = b.Version();
  if (va.ok() && vb.ok()) return *va < *vb;
  return a.file != b.file ? a.file < b.file : a.offset < b.offset;
}

std::string ChangePosition(std::string_view file, uint64_t event_offset, size_t row) {
  char buf[48];
  std::snprintf(buf, sizeof buf, ":%012llu:%06zu", static_cast<unsigned long long>(event_offset),
                row);
  return std::string(file) + buf;
}

std::string SnapshotPosition(const BinlogPosition& at) {
  char buf[24];
  std::snprintf(buf, sizeof buf, ":%012llu", static_cast<unsigned long long>(at.offset));
  return at.file + buf;
}

}  // namespace strata::ingest::mysql
