// File skipping: decides from partition values and add-action stats whether a file can hold rows
// matching a conjunction of simple predicates. Every uncertain case keeps the file.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "storage/delta/scan.h"

namespace strata::delta {
namespace {

using json = nlohmann::json;

// A value reduced to something totally ordered for one Delta type.
struct Comparable {
  enum class Kind { kInt, kReal, kText } kind = Kind::kInt;
  int64_t i = 0;
  long double r = 0;
  std::string s;
};

bool ParseInt(std::string_view text, int64_t* out) {
  std::string t(text);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(t.c_str(), &end, 10);
  if (t.empty() || *end != '\0' || errno != 0) return false;
  *out = v;
  return true;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// "YYYY-MM-DD[ T]HH:MM:SS[.f{1,9}][Z|±HH[:MM]]" -> micros since the epoch (UTC, or the offset).
std::optional<int64_t> ParseTimestampMicros(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (s.size() < 10 ||
      std::sscanf(std::string(s.substr(0, 10)).c_str(), "%4d-%2d-%2d", &y, &mo, &d) != 3) {
    return std::nullopt;
  }
  size_t i = 10;
  int64_t frac_us = 0;
  if (i < s.size() && (s[i] == ' ' || s[i] == 'T')) {
    if (s.size() < i + 9 ||
        std::sscanf(std::string(s.substr(i + 1, 8)).c_str(), "%2d:%2d:%2d", &h, &mi, &sec) != 3) {
      return std::nullopt;
    }
    i += 9;
    if (i < s.size() && s[i] == '.') {
      ++i;
      int digits = 0;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        if (digits < 6) frac_us = frac_us * 10 + (s[i] - '0');
        ++digits;
        ++i;
      }
      for (; digits < 6; ++digits) frac_us *= 10;
    }
  }
  int64_t offset_s = 0;
  if (i < s.size()) {
    std::string_view off = s.substr(i);
    if (off != "Z") {
      int oh = 0, om = 0;
      if ((off[0] != '+' && off[0] != '-') ||
          std::sscanf(std::string(off.substr(1)).c_str(), "%2d:%2d", &oh, &om) < 1) {
        return std::nullopt;
      }
      offset_s = (oh * 3600 + om * 60) * (off[0] == '-' ? -1 : 1);
    }
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return (days * 86400 + h * 3600 + mi * 60 + sec - offset_s) * 1000000 + frac_us;
}

// Converts a JSON stat or a text literal to a Comparable for `type`; nullopt = cannot compare.
std::optional<Comparable> ToComparable(const DataType& type, const json& value, bool is_max) {
  Comparable c;
  if (type.kind == DataType::Kind::kDecimal) {
    c.kind = Comparable::Kind::kReal;
    if (value.is_number()) {
      c.r = value.get<long double>();
    } else if (value.is_string()) {
      char* end = nullptr;
      std::string t = value.get<std::string>();
      c.r = std::strtold(t.c_str(), &end);
      if (t.empty() || *end != '\0') return std::nullopt;
    } else {
      return std::nullopt;
    }
    return c;
  }
  if (type.kind != DataType::Kind::kPrimitive) return std::nullopt;
  const std::string& n = type.name;
  if (n == "long" || n == "integer" || n == "short" || n == "byte") {
    if (value.is_number_integer()) {
      c.i = value.get<int64_t>();
      return c;
    }
    if (value.is_string() && ParseInt(value.get<std::string>(), &c.i)) return c;
    return std::nullopt;
  }
  if (n == "float" || n == "double") {
    c.kind = Comparable::Kind::kReal;
    if (value.is_number()) {
      c.r = value.get<long double>();
    } else if (value.is_string()) {
      char* end = nullptr;
      std::string t = value.get<std::string>();
      c.r = std::strtold(t.c_str(), &end);
      if (t.empty() || *end != '\0') return std::nullopt;
    } else {
      return std::nullopt;
    }
    if (std::isnan(c.r)) return std::nullopt;
    return c;
  }
  if (n == "boolean") {
    if (value.is_boolean()) {
      c.i = value.get<bool>() ? 1 : 0;
    } else if (value.is_string() && (value == "true" || value == "false")) {
      c.i = value == "true" ? 1 : 0;
    } else {
      return std::nullopt;
    }
    return c;
  }
  if (!value.is_string()) return std::nullopt;
  const std::string text = value.get<std::string>();
  if (n == "string") {
    c.kind = Comparable::Kind::kText;
    c.s = text;
    return c;
  }
  if (n == "date") {
    auto micros = ParseTimestampMicros(text.substr(0, std::min<size_t>(text.size(), 10)));
    if (!micros || text.size() != 10) return std::nullopt;
    c.i = *micros;
    return c;
  }
  if (n == "timestamp" || n == "timestamp_ntz") {
    auto micros = ParseTimestampMicros(text);
    if (!micros) return std::nullopt;
    // Stats are written with millisecond precision (truncated): widen the max accordingly.
    c.i = *micros + (is_max ? 999 : 0);
    return c;
  }
  return std::nullopt;  // binary and anything else: no skipping
}

int Compare(const Comparable& a, const Comparable& b) {
  if (a.kind == Comparable::Kind::kText) return a.s < b.s ? -1 : (a.s > b.s ? 1 : 0);
  if (a.kind == Comparable::Kind::kReal) {
    // Decimals and floats travel through JSON doubles: treat near-equal as equal (keeps files).
    long double tol = 1e-12L * std::max<long double>(1, std::fabs(a.r) + std::fabs(b.r));
    if (std::fabs(a.r - b.r) <= tol) return 0;
    return a.r < b.r ? -1 : 1;
  }
  return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
}

const json* Lookup(const json& stats, const char* section, const std::string& column) {
  auto it = stats.find(section);
  if (it == stats.end() || !it->is_object()) return nullptr;
  auto v = it->find(column);
  if (v == it->end() || v->is_null()) return nullptr;
  return &*v;
}

// False only if no row of a file with these stats can satisfy `p`.
bool StatsMayMatch(const DataType& type, const std::string& phys, const json& stats,
                   const Predicate& p) {
  const json* null_count = Lookup(stats, "nullCount", phys);
  const json* num_records = stats.contains("numRecords") ? &stats["numRecords"] : nullptr;
  bool nulls_known = null_count && null_count->is_number_integer();
  bool all_null = nulls_known && num_records && num_records->is_number_integer() &&
                  null_count->get<int64_t>() == num_records->get<int64_t>();
  if (p.op == Predicate::Op::kIsNull) return !(nulls_known && null_count->get<int64_t>() == 0);
  if (p.op == Predicate::Op::kIsNotNull) return !all_null;
  if (all_null) return false;  // a comparison with NULL is never true
  auto lit = ToComparable(type, json(p.literal), false);
  if (!lit) return true;
  const json* min_j = Lookup(stats, "minValues", phys);
  const json* max_j = Lookup(stats, "maxValues", phys);
  std::optional<Comparable> min, max;
  if (min_j) min = ToComparable(type, *min_j, false);
  if (max_j) max = ToComparable(type, *max_j, true);
  switch (p.op) {
    case Predicate::Op::kEq:
      return !((min && Compare(*lit, *min) < 0) || (max && Compare(*lit, *max) > 0));
    case Predicate::Op::kLt:
      return !(min && Compare(*min, *lit) >= 0);
    case Predicate::Op::kLe:
      return !(min && Compare(*min, *lit) > 0);
    case Predicate::Op::kGt:
      return !(max && Compare(*max, *lit) <= 0);
    case Predicate::Op::kGe:
      return !(max && Compare(*max, *lit) < 0);
    case Predicate::Op::kNe:
      // Only exact types: truncated string stats cannot prove all values equal.
      if (lit->kind != Comparable::Kind::kInt || !min || !max) return true;
      return !(Compare(*min, *lit) == 0 && Compare(*max, *lit) == 0);
    default:
      return true;
  }
}

bool PartitionMayMatch(const DataType& type, const std::optional<std::string>& value,
                       const Predicate& p) {
  bool is_null = !value || value->empty();
  if (p.op == Predicate::Op::kIsNull) return is_null;
  if (p.op == Predicate::Op::kIsNotNull) return !is_null;
  if (is_null) return false;
  auto v = ToComparable(type, json(*value), false);
  auto lit = ToComparable(type, json(p.literal), false);
  if (!v || !lit) return true;
  int c = Compare(*v, *lit);
  switch (p.op) {
    case Predicate::Op::kEq:
      return c == 0;
    case Predicate::Op::kNe:
      return c != 0;
    case Predicate::Op::kLt:
      return c < 0;
    case Predicate::Op::kLe:
      return c <= 0;
    case Predicate::Op::kGt:
      return c > 0;
    case Predicate::Op::kGe:
      return c >= 0;
    default:
      return true;
  }
}

bool IsPartitionColumn(const Snapshot& s, const std::string& name) {
  for (const auto& p : s.metadata.partition_columns) {
    if (p == name) return true;
  }
  return false;
}

const char* OpSql(Predicate::Op op) {
  switch (op) {
    case Predicate::Op::kEq:
      return " = ";
    case Predicate::Op::kNe:
      return " <> ";
    case Predicate::Op::kLt:
      return " < ";
    case Predicate::Op::kLe:
      return " <= ";
    case Predicate::Op::kGt:
      return " > ";
    case Predicate::Op::kGe:
      return " >= ";
    case Predicate::Op::kIsNull:
      return " IS NULL";
    case Predicate::Op::kIsNotNull:
      return " IS NOT NULL";
  }
  return " = ";
}

}  // namespace

Result<bool> FileMayMatch(const Snapshot& snapshot, const AddFile& file,
                          const std::vector<Predicate>& filters) {
  std::optional<json> stats;
  bool stats_parsed = false;
  for (const Predicate& p : filters) {
    const StructField* field = snapshot.schema.Find(p.column);
    if (field == nullptr) {
      return Status::InvalidArgument("filter column '" + p.column + "' is not in the table");
    }
    const std::string phys = PhysicalName(*field, snapshot.column_mapping);
    if (IsPartitionColumn(snapshot, field->name)) {
      auto it = file.partition_values.find(phys);
      std::optional<std::string> value;
      if (it != file.partition_values.end()) value = it->second;
      if (!PartitionMayMatch(field->type, value, p)) return false;
      continue;
    }
    if (!stats_parsed) {
      stats_parsed = true;
      if (file.stats) {
        json j = json::parse(*file.stats, nullptr, false);
        if (!j.is_discarded() && j.is_object()) stats = std::move(j);
      }
    }
    if (stats && !StatsMayMatch(field->type, phys, *stats, p)) return false;
  }
  return true;
}

Result<std::string> FiltersToSql(const Snapshot& snapshot, const std::vector<Predicate>& filters) {
  std::string sql;
  for (const Predicate& p : filters) {
    const StructField* field = snapshot.schema.Find(p.column);
    if (field == nullptr) {
      return Status::InvalidArgument("filter column '" + p.column + "' is not in the table");
    }
    if (!sql.empty()) sql += " AND ";
    sql += engine::QuoteIdentifier(field->name) + OpSql(p.op);
    if (p.op != Predicate::Op::kIsNull && p.op != Predicate::Op::kIsNotNull) {
      if (field->type.kind == DataType::Kind::kPrimitive && field->type.name == "string") {
        sql += engine::QuoteLiteral(p.literal);  // "" is a value here, not a null partition
        continue;
      }
      auto lit = PartitionValueToSql(field->type, p.literal);
      if (!lit.ok()) return lit.status().WithContext("filter on '" + p.column + "'");
      sql += *lit;
    }
  }
  return sql.empty() ? std::string("true") : sql;
}

}  // namespace strata::delta
