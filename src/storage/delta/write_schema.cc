#include "storage/delta/write_schema.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "common/numbers.h"

namespace strata::delta {
namespace {

using engine::QuoteIdentifier;

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Reads DuckDB's rendering of a type; see DeltaTypeFromSql.
class TypeParser {
 public:
  explicit TypeParser(std::string_view s) : s_(s) {}

  Result<DataType> Parse() {
    STRATA_ASSIGN_OR_RETURN(DataType t, Type());
    Spaces();
    if (i_ != s_.size()) return Bad("trailing text");
    return t;
  }

 private:
  Status Bad(std::string_view why) const {
    return Status::Unsupported("type " + std::string(s_) + " cannot be stored in a Delta table (" +
                               std::string(why) + ")");
  }
  void Spaces() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  bool Eat(char c) {
    Spaces();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  Result<int> Int() {
    Spaces();
    size_t start = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (start == i_) return Bad("expected a number");
    std::optional<int> value = ParseInteger<int>(s_.substr(start, i_ - start));
    if (!value) return Bad("number out of range");
    return *value;
  }
  Result<std::string> FieldName() {
    Spaces();
    std::string name;
    if (i_ < s_.size() && s_[i_] == '"') {
      ++i_;
      while (true) {
        if (i_ >= s_.size()) return Bad("unterminated name");
        if (s_[i_] == '"') {
          if (i_ + 1 < s_.size() && s_[i_ + 1] == '"') {
            name += '"';
            i_ += 2;
            continue;
          }
          ++i_;
          return name;
        }
        name += s_[i_++];
      }
    }
    while (i_ < s_.size() && s_[i_] != ' ') name += s_[i_++];
    return name;
  }
  Result<DataType> Type() {
    Spaces();
    size_t start = i_;
    while (i_ < s_.size() && std::string_view("([,)").find(s_[i_]) == std::string_view::npos) ++i_;
    std::string base = Upper(s_.substr(start, i_ - start));
    while (!base.empty() && base.back() == ' ') base.pop_back();
    DataType t;
    if (base == "STRUCT") {
      if (!Eat('(')) return Bad("STRUCT without fields");
      std::vector<StructField> fields;
      do {
        StructField f;
        STRATA_ASSIGN_OR_RETURN(f.name, FieldName());
        STRATA_ASSIGN_OR_RETURN(f.type, Type());
        fields.push_back(std::move(f));
      } while (Eat(','));
      if (!Eat(')')) return Bad("expected ')'");
      t = DataType::Struct(std::move(fields));
    } else if (base == "MAP") {
      if (!Eat('(')) return Bad("MAP without types");
      STRATA_ASSIGN_OR_RETURN(DataType k, Type());
      if (!Eat(',')) return Bad("expected ','");
      STRATA_ASSIGN_OR_RETURN(DataType v, Type());
      if (!Eat(')')) return Bad("expected ')'");
      t = DataType::Map(std::move(k), std::move(v));
    } else if (base == "DECIMAL" || base == "NUMERIC") {
      int p = 18, sc = 3;
      if (Eat('(')) {
        STRATA_ASSIGN_OR_RETURN(p, Int());
        if (!Eat(',')) return Bad("expected ','");
        STRATA_ASSIGN_OR_RETURN(sc, Int());
        if (!Eat(')')) return Bad("expected ')'");
      }
      t = DataType::Decimal(p, sc);
    } else if (base == "ENUM") {
      int depth = 0;
      bool quoted = false;
      for (; i_ < s_.size(); ++i_) {  // skip the member list: an ENUM is stored as its text
        char c = s_[i_];
        if (c == '\'') quoted = !quoted;
        if (!quoted && c == '(') ++depth;
        if (!quoted && c == ')' && --depth == 0) {
          ++i_;
          break;
        }
      }
      t = DataType::Primitive("string");
    } else {
      STRATA_ASSIGN_OR_RETURN(t, Primitive(base));
    }
    while (Eat('[')) {  // LIST (T[]) or ARRAY (T[n]): both are Delta arrays
      Spaces();
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (!Eat(']')) return Bad("expected ']'");
      t = DataType::Array(std::move(t));
    }
    return t;
  }
  Result<DataType> Primitive(const std::string& b) {
    static const std::pair<const char*, const char*> kMap[] = {
        {"BOOLEAN", "boolean"},
        {"TINYINT", "byte"},
        {"SMALLINT", "short"},
        {"INTEGER", "integer"},
        {"BIGINT", "long"},
        {"UTINYINT", "short"},
        {"USMALLINT", "integer"},
        {"UINTEGER", "long"},
        {"FLOAT", "float"},
        {"DOUBLE", "double"},
        {"VARCHAR", "string"},
        {"UUID", "string"},
        {"JSON", "string"},
        {"BLOB", "binary"},
        {"DATE", "date"},
        {"TIMESTAMP WITH TIME ZONE", "timestamp"},
        {"TIMESTAMPTZ", "timestamp"},
        {"TIMESTAMP", "timestamp_ntz"},
        {"TIMESTAMP_MS", "timestamp_ntz"},
        {"TIMESTAMP_S", "timestamp_ntz"}};
    for (const auto& [duck, delta] : kMap) {
      if (b == duck) return DataType::Primitive(delta);
    }
    if (b == "TIMESTAMP_NS") return Bad("nanoseconds; cast it to TIMESTAMP");
    // No Delta integer is wider than long: the wide integers (sum() of a BIGINT is a HUGEINT)
    // are stored exactly as decimals; a value past 38 digits fails the write's cast.
    if (b == "UBIGINT") return DataType::Decimal(20, 0);
    if (b == "HUGEINT" || b == "UHUGEINT") return DataType::Decimal(38, 0);
    return Bad("no Delta equivalent");
  }

  std::string_view s_;
  size_t i_ = 0;
};

int IntegerRank(const DataType& t) {
  if (t.kind != DataType::Kind::kPrimitive) return 0;
  if (t.name == "byte") return 1;
  if (t.name == "short") return 2;
  if (t.name == "integer") return 3;
  if (t.name == "long") return 4;
  return 0;
}

int IntegerDigits(int rank) {
  static const int kDigits[] = {0, 3, 5, 10, 19};
  return kDigits[rank];
}

bool ContainsNtz(const DataType& t) {
  if (t.kind == DataType::Kind::kPrimitive) return t.name == "timestamp_ntz";
  for (const auto& f : t.fields) {
    if (ContainsNtz(f.type)) return true;
  }
  for (const auto& c : t.children) {
    if (ContainsNtz(c)) return true;
  }
  return false;
}

bool FieldHasMetadata(const DataType& t, std::string_view prefix) {
  for (const auto& f : t.fields) {
    for (const auto& [k, v] : f.metadata.items()) {
      if (k.rfind(prefix, 0) == 0) return true;
    }
    if (FieldHasMetadata(f.type, prefix)) return true;
  }
  for (const auto& c : t.children) {
    if (FieldHasMetadata(c, prefix)) return true;
  }
  return false;
}

void AddFeature(std::optional<std::vector<std::string>>& list, const std::string& feature) {
  if (!list) list.emplace();
  if (std::find(list->begin(), list->end(), feature) == list->end()) list->push_back(feature);
}

}  // namespace

Result<DataType> DeltaTypeFromSql(std::string_view duck_type) {
  return TypeParser(duck_type).Parse();
}

Result<Schema> SchemaFromColumns(const std::vector<engine::Column>& columns,
                                 std::string_view what) {
  Schema schema;
  std::set<std::string> seen;
  for (const engine::Column& c : columns) {
    if (!seen.insert(Upper(c.name)).second) {
      return Status::InvalidArgument(std::string(what) + ": column '" + c.name + "' appears twice");
    }
    auto type = DeltaTypeFromSql(c.type_name);
    if (!type.ok())
      return type.status().WithContext(std::string(what) + ": column '" + c.name + "'");
    schema.fields.push_back(StructField{c.name, std::move(type).value(), true, nlohmann::json::object()});
  }
  return schema;
}

bool IsLosslessConversion(const DataType& from, const DataType& to) {
  if (from == to) return true;
  if (from.kind != to.kind) {
    int rank = IntegerRank(from);
    if (rank > 0 && to.kind == DataType::Kind::kDecimal) {
      return to.precision - to.scale >= IntegerDigits(rank);
    }
    return false;
  }
  switch (from.kind) {
    case DataType::Kind::kPrimitive: {
      int fr = IntegerRank(from), tr = IntegerRank(to);
      if (fr > 0 && tr > 0) return fr <= tr;
      if (to.name == "double") return from.name == "float" || (fr > 0 && fr <= 3);
      if (to.name == "float") return fr > 0 && fr <= 2;
      return false;
    }
    case DataType::Kind::kDecimal:
      return to.scale >= from.scale && to.precision - to.scale >= from.precision - from.scale;
    case DataType::Kind::kStruct:
      if (from.fields.size() != to.fields.size()) return false;
      for (size_t i = 0; i < from.fields.size(); ++i) {
        if (from.fields[i].name != to.fields[i].name ||
            !IsLosslessConversion(from.fields[i].type, to.fields[i].type)) {
          return false;
        }
      }
      return true;
    case DataType::Kind::kArray:
    case DataType::Kind::kMap:
      for (size_t i = 0; i < from.children.size(); ++i) {
        if (!IsLosslessConversion(from.children[i], to.children[i])) return false;
      }
      return true;
  }
  return false;
}

std::string IdentityProjection(const Schema& schema) {
  std::string out;
  for (const StructField& f : schema.fields) {
    out += (out.empty() ? "" : ", ") + std::string("__strata_src.") + QuoteIdentifier(f.name) +
           " AS " + QuoteIdentifier(f.name);
  }
  return out;
}

Result<WritePlan> PlanWrite(const Schema& table, const std::vector<std::string>& partition_columns,
                            const std::vector<engine::Column>& source, bool evolve,
                            std::string_view table_name) {
  const std::string where = "table " + std::string(table_name);
  WritePlan plan;
  plan.schema = table;
  std::vector<const engine::Column*> match(table.fields.size(), nullptr);
  std::set<std::string> seen;
  for (const engine::Column& c : source) {
    if (!seen.insert(Upper(c.name)).second) {
      return Status::InvalidArgument(where + ": the write has column '" + c.name + "' twice");
    }
  }
  for (const engine::Column& c : source) {
    const StructField* f = table.Find(c.name);
    if (f != nullptr) {
      match[static_cast<size_t>(f - table.fields.data())] = &c;
      continue;
    }
    if (!evolve) {
      return Status::InvalidArgument(where + ": column '" + c.name + "' (" + c.type_name +
                                     ") of the write is not in the table schema (enable schema "
                                     "evolution to add it)");
    }
    auto type = DeltaTypeFromSql(c.type_name);
    if (!type.ok()) return type.status().WithContext(where + ": column '" + c.name + "'");
    plan.schema.fields.push_back(StructField{c.name, std::move(type).value(), true, nlohmann::json::object()});
    match.push_back(&c);
    plan.added_columns.push_back(c.name);
    plan.schema_changed = true;
  }
  for (size_t i = 0; i < plan.schema.fields.size(); ++i) {
    StructField& f = plan.schema.fields[i];
    const engine::Column* src = match[i];
    std::string expr;
    if (src == nullptr) {
      if (!f.nullable) {
        return Status::InvalidArgument(where + ": column '" + f.name +
                                       "' is NOT NULL but the write does not provide it");
      }
      expr = "CAST(NULL AS " + ToSqlType(f.type) + ")";
    } else {
      auto src_type = DeltaTypeFromSql(src->type_name);
      if (!src_type.ok()) {
        return src_type.status().WithContext(where + ": column '" + src->name + "'");
      }
      if (!IsLosslessConversion(*src_type, f.type)) {
        bool is_partition = std::find(partition_columns.begin(), partition_columns.end(), f.name) !=
                            partition_columns.end();
        if (evolve && src_type->is_primitive() && f.type.is_primitive() && !is_partition &&
            IsLosslessConversion(f.type, *src_type)) {
          nlohmann::json change = {{"fromType", f.type.DeltaName()},
                                   {"toType", src_type->DeltaName()}};
          if (!f.metadata.contains("delta.typeChanges")) {
            f.metadata["delta.typeChanges"] = nlohmann::json::array();
          }
          f.metadata["delta.typeChanges"].push_back(change);
          f.type = *src_type;
          plan.schema_changed = true;
          plan.types_widened = true;
        } else {
          return Status::InvalidArgument(where + ": column '" + f.name + "' is " +
                                         f.type.DeltaName() + " (" + ToSqlType(f.type) +
                                         ") but the write has " + src->type_name +
                                         (evolve ? "; that is not a widening Delta allows"
                                                 : "; enable schema evolution "
                                                   "to widen the column"));
        }
      }
      expr = "__strata_src." + QuoteIdentifier(src->name);
      if (src->type_name != ToSqlType(f.type)) {
        expr = "CAST(" + expr + " AS " + ToSqlType(f.type) + ")";
      }
    }
    if (!f.nullable) {
      expr = "CASE WHEN " + expr + " IS NULL THEN error(" +
             engine::QuoteLiteral(where + ": NULL in NOT NULL column '" + f.name + "'") +
             ") ELSE " + expr + " END";
    }
    plan.projection += (i ? ", " : "") + expr + " AS " + QuoteIdentifier(f.name);
  }
  return plan;
}

Status CheckWriteSupported(const Protocol& protocol, const Metadata& metadata,
                           const Schema& schema) {
  auto refuse = [](const std::string& what) {
    return Status::Unsupported("table requires Delta writer support for " + what +
                               ", which strata does not implement");
  };
  const int w = protocol.min_writer_version;
  if (w < 1 || w > 7) return refuse("writer version " + std::to_string(w));
  static const std::set<std::string> kSupported = {
      "appendOnly",    "invariants",           "checkConstraints", "timestampNtz",
      "typeWidening",  "typeWidening-preview", "deletionVectors",  "vacuumProtocolCheck",
      "columnMapping", "changeDataFeed",       "generatedColumns", "identityColumns",
      "domainMetadata"};
  if (w == 7) {
    for (const std::string& f : protocol.writer_features.value_or(std::vector<std::string>{})) {
      if (kSupported.count(f) == 0) return refuse("the '" + f + "' table feature");
    }
  }
  // Legacy versions imply features; with writer 7 only the listed ones apply. Either way the
  // features below are harmless unless the table actually uses them.
  const DataType root = DataType::Struct(schema.fields);
  if (w >= 2 && FieldHasMetadata(root, "delta.invariants")) return refuse("column invariants");
  for (const auto& [k, v] : metadata.configuration) {
    if (k.rfind("delta.constraints.", 0) == 0) return refuse("check constraints ('" + k + "')");
  }
  auto cdf = metadata.configuration.find("delta.enableChangeDataFeed");
  if (cdf != metadata.configuration.end() && Upper(cdf->second) == "TRUE") {
    return refuse("the change data feed");
  }
  if (FieldHasMetadata(root, "delta.generationExpression")) return refuse("generated columns");
  if (FieldHasMetadata(root, "delta.identity.")) return refuse("identity columns");
  STRATA_ASSIGN_OR_RETURN(ColumnMappingMode mode, GetColumnMappingMode(metadata));
  if (mode != ColumnMappingMode::kNone) return refuse("column mapping");
  auto rt = metadata.configuration.find("delta.enableRowTracking");
  if (rt != metadata.configuration.end() && Upper(rt->second) == "TRUE") {
    return refuse("row tracking");
  }
  return Status::OK();
}

Protocol ProtocolForNewTable(const Schema& schema) {
  Protocol p;
  if (ContainsNtz(DataType::Struct(schema.fields))) {
    p.min_reader_version = 3;
    p.min_writer_version = 7;
    p.reader_features = std::vector<std::string>{"timestampNtz"};
    p.writer_features = std::vector<std::string>{"timestampNtz"};
  }
  return p;
}

Protocol WithTypeWidening(const Protocol& protocol) {
  Protocol p = protocol;
  if (p.min_reader_version < 3) {
    p.min_reader_version = 3;
    if (protocol.min_reader_version == 2) AddFeature(p.reader_features, "columnMapping");
  }
  if (p.min_writer_version < 7) {
    p.min_writer_version = 7;
    const int w = protocol.min_writer_version;
    if (w >= 2) AddFeature(p.writer_features, "appendOnly");
    if (w >= 2) AddFeature(p.writer_features, "invariants");
    if (w >= 3) AddFeature(p.writer_features, "checkConstraints");
    if (w >= 4) AddFeature(p.writer_features, "changeDataFeed");
    if (w >= 4) AddFeature(p.writer_features, "generatedColumns");
  }
  AddFeature(p.reader_features, "typeWidening");
  AddFeature(p.writer_features, "typeWidening");
  return p;
}

}  // namespace strata::delta
