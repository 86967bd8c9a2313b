#include "storage/delta/file_stats.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/civil_date.h"

namespace strata::delta {
namespace {

// Recursive-descent reader of DuckDB's nested VARCHAR rendering ("{k=v, 'q k'={a=1}}").
class MapTextParser {
 public:
  explicit MapTextParser(std::string_view text) : s_(text) {}

  Status Error(std::string_view what) const {
    return Status::InvalidArgument("cannot parse DuckDB map text at offset " + std::to_string(i_) +
                                   " (" + std::string(what) +
                                   "): " + std::string(s_.substr(0, 200)));
  }
  bool AtEnd() const { return i_ >= s_.size(); }
  bool Peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void SkipSpaces() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  Status Expect(char c) {
    SkipSpaces();
    if (!Peek(c)) return Error(std::string("expected '") + c + "'");
    ++i_;
    return Status::OK();
  }

  // A scalar ending before one of `stops`; nullopt for an unquoted NULL.
  Result<std::optional<std::string>> Scalar(std::string_view stops) {
    SkipSpaces();
    if (Peek('\'')) {
      ++i_;
      std::string out;
      while (true) {
        if (AtEnd()) return Error("unterminated quote");
        char c = s_[i_++];
        if (c == '\'') break;
        if (c == '\\') {
          if (AtEnd()) return Error("dangling backslash");
          c = s_[i_++];
        }
        out += c;
      }
      return std::optional<std::string>(std::move(out));
    }
    size_t start = i_;
    while (i_ < s_.size() && stops.find(s_[i_]) == std::string_view::npos) ++i_;
    std::string out(s_.substr(start, i_ - start));
    if (out == "NULL") return std::optional<std::string>();
    return std::optional<std::string>(std::move(out));
  }

  // "{k=v, ...}", calling `entry(key)` with the position at the value.
  template <typename Entry>
  Status Map(Entry&& entry) {
    STRATA_RETURN_IF_ERROR(Expect('{'));
    SkipSpaces();
    if (Peek('}')) {
      ++i_;
      return Status::OK();
    }
    while (true) {
      STRATA_ASSIGN_OR_RETURN(std::optional<std::string> key, Scalar("=,}"));
      if (!key) return Error("NULL map key");
      STRATA_RETURN_IF_ERROR(Expect('='));
      STRATA_RETURN_IF_ERROR(entry(*key));
      SkipSpaces();
      if (Peek('}')) {
        ++i_;
        return Status::OK();
      }
      STRATA_RETURN_IF_ERROR(Expect(','));
    }
  }

  Status Finish() {
    SkipSpaces();
    return AtEnd() ? Status::OK() : Error("trailing text");
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsInteger(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  return AllDigits(s) && s.size() <= 19;
}

// "[-]digits[.digits]": exactly the text DuckDB gives for DECIMAL, valid as a JSON number.
bool IsDecimalText(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  size_t dot = s.find('.');
  if (dot == std::string_view::npos) return AllDigits(s) && (s.size() == 1 || s[0] != '0');
  std::string_view whole = s.substr(0, dot);
  return AllDigits(whole) && (whole.size() == 1 || whole[0] != '0') && AllDigits(s.substr(dot + 1));
}

// Length of the longest prefix of `s` (at most `max` bytes) made of whole UTF-8 characters;
// npos if `s` is not valid UTF-8 within that prefix.
size_t Utf8Prefix(std::string_view s, size_t max) {
  size_t i = 0, ok = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return std::string_view::npos;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return std::string_view::npos;
    }
    if (i + n > max) break;
    i += n;
    ok = i;
  }
  return ok;
}

std::string JsonString(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }

// "YYYY-MM-DD HH:MM:SS[.f{1,6}]" + `suffix` -> micros since the epoch.
std::optional<int64_t> ParseDuckTimestamp(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size() || s.substr(s.size() - suffix.size()) != suffix) return {};
  s.remove_suffix(suffix.size());
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
      !AllDigits(s.substr(0, 4)) || !AllDigits(s.substr(5, 2)) || !AllDigits(s.substr(8, 2)) ||
      !AllDigits(s.substr(11, 2)) || !AllDigits(s.substr(14, 2)) || !AllDigits(s.substr(17, 2))) {
    return {};
  }
  auto num = [&](size_t pos, size_t len) {
    return std::atoi(std::string(s.substr(pos, len)).c_str());
  };
  int64_t frac = 0;
  if (s.size() > 19) {
    if (s[19] != '.' || s.size() > 26 || !AllDigits(s.substr(20))) return {};
    std::string digits(s.substr(20));
    digits.resize(6, '0');
    frac = std::atoll(digits.c_str());
  }
  int64_t days = DaysFromCivil(num(0, 4), num(5, 2), num(8, 2));
  int64_t secs = days * 86400 + num(11, 2) * 3600 + num(14, 2) * 60 + num(17, 2);
  return secs * 1000000 + frac;
}

std::string FormatMillis(int64_t millis, bool utc_suffix) {
  int64_t days = millis >= 0 ? millis / 86400000 : -((-millis + 86399999) / 86400000);
  int64_t rest = millis - days * 86400000;
  CivilDate d = CivilFromDays(days);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s", d.year, d.month, d.day,
                static_cast<int>(rest / 3600000), static_cast<int>(rest / 60000 % 60),
                static_cast<int>(rest / 1000 % 60), static_cast<int>(rest % 1000),
                utc_suffix ? "Z" : "");
  return buf;
}

// Renders a tree of stats values (path -> raw JSON) as nested JSON objects.
struct JsonTree {
  std::map<std::string, JsonTree> children;
  std::optional<std::string> raw;

  void Put(const std::vector<std::string>& path, std::string value) {
    JsonTree* node = this;
    for (const auto& part : path) node = &node->children[part];
    node->raw = std::move(value);
  }
  bool Empty() const { return !raw && children.empty(); }
  std::string Render() const {
    if (raw) return *raw;
    std::string out = "{";
    bool first = true;
    for (const auto& [k, v] : children) {
      if (v.Empty()) continue;
      if (!first) out += ',';
      out += JsonString(k);
      out += ':';
      out += v.Render();
      first = false;
    }
    return out + "}";
  }
};

// The Delta type at `path` inside `fields`, or nullptr when it crosses a list/map.
const DataType* TypeAt(const std::vector<StructField>& fields,
                       const std::vector<std::string>& path) {
  const std::vector<StructField>* level = &fields;
  const DataType* type = nullptr;
  for (const std::string& part : path) {
    if (level == nullptr) return nullptr;
    type = nullptr;
    for (const StructField& f : *level) {
      if (f.name == part) type = &f.type;
    }
    if (type == nullptr) return nullptr;
    level = type->kind == DataType::Kind::kStruct ? &type->fields : nullptr;
  }
  return type != nullptr && type->is_primitive() ? type : nullptr;
}

}  // namespace

Result<std::map<std::string, std::optional<std::string>>> ParseDuckMapText(std::string_view text) {
  MapTextParser p(text);
  std::map<std::string, std::optional<std::string>> out;
  STRATA_RETURN_IF_ERROR(p.Map([&](const std::string& key) -> Status {
    STRATA_ASSIGN_OR_RETURN(out[key], p.Scalar(",}"));
    return Status::OK();
  }));
  STRATA_RETURN_IF_ERROR(p.Finish());
  return out;
}

Result<std::vector<std::string>> ParseColumnPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    std::string part;
    if (i < path.size() && path[i] == '"') {
      ++i;
      while (true) {
        if (i >= path.size())
          return Status::InvalidArgument("unterminated column path " + std::string(path));
        if (path[i] == '"') {
          if (i + 1 < path.size() && path[i + 1] == '"') {
            part += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        part += path[i++];
      }
    } else {
      size_t dot = path.find('.', i);
      if (dot == std::string_view::npos) dot = path.size();
      part = std::string(path.substr(i, dot - i));
      i = dot;
    }
    parts.push_back(std::move(part));
    if (i >= path.size()) break;
    if (path[i] != '.')
      return Status::InvalidArgument("malformed column path " + std::string(path));
    ++i;
  }
  return parts;
}

Result<DuckFileStats> ParseDuckColumnStatistics(std::string_view text) {
  MapTextParser p(text);
  DuckFileStats out;
  STRATA_RETURN_IF_ERROR(p.Map([&](const std::string& key) -> Status {
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> path, ParseColumnPath(key));
    DuckColumnStats& column = out[path];
    return p.Map([&](const std::string& stat) -> Status {
      STRATA_ASSIGN_OR_RETURN(column[stat], p.Scalar(",}"));
      return Status::OK();
    });
  }));
  STRATA_RETURN_IF_ERROR(p.Finish());
  return out;
}

std::optional<std::string> DeltaStatValue(const DataType& type, std::string_view text,
                                          bool is_max) {
  if (type.kind == DataType::Kind::kDecimal) {
    // DuckDB renders DECIMAL exactly ("12.50"), which is a valid JSON number: no rounding.
    if (type.precision > 18 || !IsDecimalText(text)) return std::nullopt;
    return std::string(text);
  }
  if (type.kind != DataType::Kind::kPrimitive) return std::nullopt;
  const std::string& n = type.name;
  if (n == "long" || n == "integer" || n == "short" || n == "byte") {
    if (!IsInteger(text)) return std::nullopt;
    return std::string(text);
  }
  if (n == "float" || n == "double") {
    std::string t(text);
    char* end = nullptr;
    errno = 0;
    // The text is the shortest round-trip form of the value; printing the parsed value with 17
    // digits is exact in double, so readers comparing as float or double get the same bound.
    double v = n == "float" ? static_cast<double>(std::strtof(t.c_str(), &end))
                            : std::strtod(t.c_str(), &end);
    if (t.empty() || *end != '\0' || errno != 0 || !std::isfinite(v)) return std::nullopt;
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%.17g", v);
    if (std::string_view(buf).find_first_of(".e") == std::string_view::npos) {
      std::snprintf(buf, sizeof(buf), "%.1f", v);
    }
    return std::string(buf);
  }
  if (n == "string") {
    size_t keep = Utf8Prefix(text, kMaxStatStringBytes);
    if (keep == std::string_view::npos) return std::nullopt;
    if (keep < text.size()) {
      if (is_max) return std::nullopt;  // a truncated max would be lower than the value
      text = text.substr(0, keep);      // a prefix is still a lower bound
    }
    return JsonString(text);
  }
  if (n == "date") {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !AllDigits(text.substr(0, 4)) ||
        !AllDigits(text.substr(5, 2)) || !AllDigits(text.substr(8, 2))) {
      return std::nullopt;
    }
    return JsonString(text);
  }
  if (n == "timestamp" || n == "timestamp_ntz") {
    // Engine connections run in UTC, so TIMESTAMPTZ text always ends in "+00".
    std::optional<int64_t> micros = ParseDuckTimestamp(text, n == "timestamp" ? "+00" : "");
    if (!micros) return std::nullopt;
    int64_t millis = *micros / 1000 - (*micros % 1000 < 0 ? 1 : 0);  // floor
    if (is_max && *micros % 1000 != 0) ++millis;                     // ceil for the max
    return JsonString(FormatMillis(millis, n == "timestamp"));
  }
  return std::nullopt;  // boolean, binary: Delta writers give no min/max for them
}

std::string DeltaStatsJson(const std::vector<StructField>& data_fields, int64_t num_records,
                           const DuckFileStats& stats) {
  JsonTree mins, maxs, nulls;
  for (const auto& [path, column] : stats) {
    const DataType* type = TypeAt(data_fields, path);
    if (type == nullptr) continue;
    auto get = [&](const char* key) -> std::optional<std::string> {
      auto it = column.find(key);
      if (it == column.end()) return std::nullopt;
      return it->second;
    };
    if (auto nc = get("null_count"); nc && IsInteger(*nc)) nulls.Put(path, *nc);
    if (auto nan = get("has_nan"); nan && *nan != "false") continue;  // NaN sorts above all
    if (auto min = get("min")) {
      if (auto v = DeltaStatValue(*type, *min, false)) mins.Put(path, *v);
    }
    if (auto max = get("max")) {
      if (auto v = DeltaStatValue(*type, *max, true)) maxs.Put(path, *v);
    }
  }
  std::string out = "{\"numRecords\":" + std::to_string(num_records);
  out += ",\"minValues\":" + mins.Render();
  out += ",\"maxValues\":" + maxs.Render();
  out += ",\"nullCount\":" + nulls.Render();
  return out + "}";
}

}  // namespace strata::delta
