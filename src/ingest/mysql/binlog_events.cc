// GCC 12 reports a false -Wmaybe-uninitialized when a std::variant engine::Value is moved into
// a Result (GCC bugs 105562, 107919).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "ingest/mysql/binlog_events.h"

#include <cstring>

#include "ingest/mysql/binlog_values.h"

namespace strata::ingest::mysql {
namespace {

// Wire types (enum_field_types).
enum : uint8_t {
  kTypeDecimal = 0,
  kTypeTiny = 1,
  kTypeShort = 2,
  kTypeLong = 3,
  kTypeFloat = 4,
  kTypeDouble = 5,
  kTypeLongLong = 8,
  kTypeInt24 = 9,
  kTypeDate = 10,
  kTypeYear = 13,
  kTypeVarchar = 15,
  kTypeBit = 16,
  kTypeTimestamp2 = 17,
  kTypeDatetime2 = 18,
  kTypeTime2 = 19,
  kTypeJson = 245,
  kTypeNewDecimal = 246,
  kTypeEnum = 247,
  kTypeSet = 248,
  kTypeTinyBlob = 249,
  kTypeMediumBlob = 250,
  kTypeLongBlob = 251,
  kTypeBlob = 252,
  kTypeVarString = 253,
  kTypeString = 254,
  kTypeGeometry = 255,
};

constexpr int kBinaryCollation = 63;

// For STRING columns the metadata packs the real type (ENUM, SET or STRING) and the length.
uint8_t RealType(uint8_t type, uint16_t meta) {
  if (type != kTypeString || meta < 256) return type;
  uint8_t byte0 = static_cast<uint8_t>(meta >> 8);
  if ((byte0 & 0x30) != 0x30) return kTypeString;  // long CHAR: length bits folded in
  return byte0;
}

bool IsNumeric(uint8_t t) {
  return t == kTypeTiny || t == kTypeShort || t == kTypeInt24 || t == kTypeLong ||
         t == kTypeLongLong || t == kTypeNewDecimal || t == kTypeFloat || t == kTypeDouble ||
         t == kTypeDecimal;
}
bool IsCharacter(uint8_t real) {
  return real == kTypeString || real == kTypeVarchar || real == kTypeVarString ||
         real == kTypeBlob || real == kTypeTinyBlob || real == kTypeMediumBlob ||
         real == kTypeLongBlob;
}

std::string TypeName(uint8_t t) {
  switch (t) {
    case kTypeJson:
      return "JSON (MySQL binary JSON)";
    case kTypeGeometry:
      return "GEOMETRY";
    case 7:
      return "TIMESTAMP (pre-5.6 format)";
    case 11:
      return "TIME (pre-5.6 format)";
    case 12:
      return "DATETIME (pre-5.6 format)";
    case kTypeDecimal:
      return "DECIMAL (pre-5.0 format)";
    default:
      return "wire type " + std::to_string(t);
  }
}

// The metadata bytes each wire type carries in a TABLE_MAP.
int MetaBytes(uint8_t t) {
  switch (t) {
    case kTypeFloat:
    case kTypeDouble:
    case kTypeBlob:
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob:
    case kTypeGeometry:
    case kTypeJson:
    case kTypeTimestamp2:
    case kTypeDatetime2:
    case kTypeTime2:
      return 1;
    case kTypeVarchar:
    case kTypeVarString:
    case kTypeBit:
    case kTypeNewDecimal:
    case kTypeString:
    case kTypeEnum:
    case kTypeSet:
      return 2;
    default:
      return 0;
  }
}

uint16_t ReadMeta(uint8_t t, const uint8_t* p) {
  switch (MetaBytes(t)) {
    case 1:
      return p[0];
    case 2:
      // STRING/ENUM/SET and NEWDECIMAL and BIT keep byte order (type|length, precision|scale,
      // bits%8|bytes); VARCHAR is a little-endian length.
      if (t == kTypeVarchar || t == kTypeVarString) return static_cast<uint16_t>(p[0] | p[1] << 8);
      return static_cast<uint16_t>(p[0] << 8 | p[1]);
    default:
      return 0;
  }
}

// Fills the Column's kind and sizes from the wire type and metadata; Unsupported for types
// bronze cannot hold. `collation` matters for character types (63 = binary).
Status DescribeColumn(uint8_t type, uint16_t meta, bool is_unsigned, int collation, Column* c) {
  c->is_unsigned = is_unsigned;
  uint8_t real = RealType(type, meta);
  switch (real) {
    case kTypeTiny:
      c->kind = ColumnKind::kTinyInt;
      return Status::OK();
    case kTypeShort:
      c->kind = ColumnKind::kSmallInt;
      return Status::OK();
    case kTypeInt24:
      c->kind = ColumnKind::kMediumInt;
      return Status::OK();
    case kTypeLong:
      c->kind = ColumnKind::kInt;
      return Status::OK();
    case kTypeLongLong:
      c->kind = ColumnKind::kBigInt;
      return Status::OK();
    case kTypeNewDecimal:
      c->kind = ColumnKind::kDecimal;
      c->precision = meta >> 8;
      c->scale = meta & 0xff;
      return Status::OK();
    case kTypeFloat:
      c->kind = ColumnKind::kFloat;
      return Status::OK();
    case kTypeDouble:
      c->kind = ColumnKind::kDouble;
      return Status::OK();
    case kTypeDate:
      c->kind = ColumnKind::kDate;
      return Status::OK();
    case kTypeYear:
      c->kind = ColumnKind::kYear;
      return Status::OK();
    case kTypeDatetime2:
      c->kind = ColumnKind::kDateTime;
      c->fsp = meta;
      return Status::OK();
    case kTypeTimestamp2:
      c->kind = ColumnKind::kTimestamp;
      c->fsp = meta;
      return Status::OK();
    case kTypeTime2:
      c->kind = ColumnKind::kTime;
      c->fsp = meta;
      return Status::OK();
    case kTypeBit:
      c->kind = ColumnKind::kBit;
      c->bits = (meta >> 8) + (meta & 0xff) * 8;
      return Status::OK();
    case kTypeEnum:
      c->kind = ColumnKind::kEnum;
      return Status::OK();
    case kTypeSet:
      c->kind = ColumnKind::kSet;
      return Status::OK();
    case kTypeString: {
      int length = StringColumnLength(meta);
      c->kind = collation == kBinaryCollation ? ColumnKind::kBinary : ColumnKind::kText;
      if (c->kind == ColumnKind::kBinary) c->binary_length = length;
      return Status::OK();
    }
    case kTypeVarchar:
    case kTypeVarString:
    case kTypeBlob:
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob:
      c->kind = collation == kBinaryCollation ? ColumnKind::kBinary : ColumnKind::kText;
      return Status::OK();
    default:
      return Status::Unsupported("type " + TypeName(real) + " is not supported");
  }
}

// Reads the optional metadata TLVs (binlog_row_metadata=FULL) into `map`.
Status ParseOptionalMetadata(Reader& r, TableMap* map, std::vector<int>* collations) {
  size_t n = map->types.size();
  std::vector<size_t> numeric, character, enums, sets;
  for (size_t i = 0; i < n; ++i) {
    uint8_t real = RealType(map->types[i], map->meta[i]);
    if (IsNumeric(real)) numeric.push_back(i);
    if (IsCharacter(real)) character.push_back(i);
    if (real == kTypeEnum) enums.push_back(i);
    if (real == kTypeSet) sets.push_back(i);
  }
  std::vector<bool> is_unsigned(n, false);
  while (!r.AtEnd()) {
    STRATA_ASSIGN_OR_RETURN(uint8_t field, r.U8());
    STRATA_ASSIGN_OR_RETURN(uint64_t length, r.PackedInt());
    STRATA_ASSIGN_OR_RETURN(std::string_view value, r.Bytes(length));
    Reader v(value, r.what());
    switch (field) {
      case 1:  // SIGNEDNESS: one bit per numeric column, most significant first
        for (size_t k = 0; k < numeric.size() && k / 8 < value.size(); ++k) {
          is_unsigned[numeric[k]] = (static_cast<uint8_t>(value[k / 8]) >> (7 - k % 8)) & 1;
        }
        break;
      case 2: {  // DEFAULT_CHARSET: default collation, then (index, collation) exceptions
        STRATA_ASSIGN_OR_RETURN(uint64_t def, v.PackedInt());
        for (size_t k : character) (*collations)[k] = static_cast<int>(def);
        while (!v.AtEnd()) {
          STRATA_ASSIGN_OR_RETURN(uint64_t index, v.PackedInt());
          STRATA_ASSIGN_OR_RETURN(uint64_t collation, v.PackedInt());
          if (index < character.size()) {
            (*collations)[character[index]] = static_cast<int>(collation);
          }
        }
        break;
      }
      case 3:  // COLUMN_CHARSET: a collation per character column
        for (size_t k : character) {
          STRATA_ASSIGN_OR_RETURN(uint64_t collation, v.PackedInt());
          (*collations)[k] = static_cast<int>(collation);
        }
        break;
      case 4:  // COLUMN_NAME
        for (size_t i = 0; i < n; ++i) {
          STRATA_ASSIGN_OR_RETURN(uint64_t len, v.PackedInt());
          STRATA_ASSIGN_OR_RETURN(std::string_view name, v.Bytes(len));
          map->columns[i].name = std::string(name);
        }
        break;
      case 5:    // SET_STR_VALUE
      case 6: {  // ENUM_STR_VALUE
        for (size_t k : field == 5 ? sets : enums) {
          STRATA_ASSIGN_OR_RETURN(uint64_t count, v.PackedInt());
          for (uint64_t e = 0; e < count; ++e) {
            STRATA_ASSIGN_OR_RETURN(uint64_t len, v.PackedInt());
            STRATA_ASSIGN_OR_RETURN(std::string_view name, v.Bytes(len));
            map->columns[k].elements.emplace_back(name);
          }
        }
        break;
      }
      case 8:  // SIMPLE_PRIMARY_KEY: column indexes
        while (!v.AtEnd()) {
          STRATA_ASSIGN_OR_RETURN(uint64_t index, v.PackedInt());
          if (index < n) map->primary_key.push_back(std::to_string(index));
        }
        break;
      default:  // geometry types, prefixed keys, ENUM/SET charsets: not needed
        break;
    }
  }
  for (size_t i = 0; i < n; ++i) map->columns[i].is_unsigned = is_unsigned[i];
  return Status::OK();
}

}  // namespace

Result<TableMap> ParseTableMap(std::string_view body, int table_id_bytes) {
  Reader r(body, "TABLE_MAP event");
  TableMap map;
  STRATA_ASSIGN_OR_RETURN(map.table_id, r.UIntLE(table_id_bytes));
  STRATA_RETURN_IF_ERROR(r.Skip(2));  // flags
  STRATA_ASSIGN_OR_RETURN(uint8_t db_len, r.U8());
  STRATA_ASSIGN_OR_RETURN(std::string_view db, r.Bytes(db_len + 1u));
  map.database = std::string(db.substr(0, db_len));
  STRATA_ASSIGN_OR_RETURN(uint8_t table_len, r.U8());
  STRATA_ASSIGN_OR_RETURN(std::string_view table, r.Bytes(table_len + 1u));
  map.table = std::string(table.substr(0, table_len));
  STRATA_ASSIGN_OR_RETURN(uint64_t count, r.PackedInt());
  STRATA_ASSIGN_OR_RETURN(std::string_view types, r.Bytes(count));
  map.types.assign(types.begin(), types.end());
  STRATA_ASSIGN_OR_RETURN(uint64_t meta_len, r.PackedInt());
  STRATA_ASSIGN_OR_RETURN(std::string_view meta, r.Bytes(meta_len));
  const uint8_t* m = reinterpret_cast<const uint8_t*>(meta.data());
  size_t mi = 0;
  for (uint8_t t : map.types) {
    int bytes = MetaBytes(t);
    if (mi + static_cast<size_t>(bytes) > meta.size()) {
      return Status::Corruption("TABLE_MAP event of " + map.database + "." + map.table +
                                ": metadata too short");
    }
    map.meta.push_back(ReadMeta(t, m + mi));
    mi += static_cast<size_t>(bytes);
  }
  STRATA_RETURN_IF_ERROR(r.Skip((count + 7) / 8));  // nullability
  map.columns.resize(count);
  std::vector<int> collations(count, 0);
  STRATA_RETURN_IF_ERROR(ParseOptionalMetadata(r, &map, &collations));
  std::string where = map.database + "." + map.table;
  for (size_t i = 0; i < count; ++i) {
    Column& c = map.columns[i];
    if (c.name.empty()) {
      map.unsupported = Status::FailedPrecondition(
          "table " + where +
          ": the binlog has no column names; set binlog_row_metadata=FULL on the server");
      break;
    }
    Status described = DescribeColumn(map.types[i], map.meta[i], c.is_unsigned, collations[i], &c);
    if (!described.ok() && !map.unsupported) {
      map.unsupported =
          Status::Unsupported("table " + where + ", column " + c.name + ": " + described.message());
    }
  }
  for (std::string& key : map.primary_key) key = map.columns[std::stoul(key)].name;
  return map;
}

Result<uint64_t> RowsEventTableId(std::string_view body, int table_id_bytes) {
  Reader r(body, "rows event");
  return r.UIntLE(table_id_bytes);
}

Result<RowsEvent> ParseRowsEvent(uint8_t type, std::string_view body, const TableMap& map,
                                 int table_id_bytes) {
  std::string where = map.database + "." + map.table;
  if (map.unsupported) return *map.unsupported;
  Reader r(body, "rows event of " + where);
  RowsEvent event;
  STRATA_ASSIGN_OR_RETURN(event.table_id, r.UIntLE(table_id_bytes));
  STRATA_RETURN_IF_ERROR(r.Skip(2));  // flags
  bool v2 = type == kWriteRowsV2 || type == kUpdateRowsV2 || type == kDeleteRowsV2;
  if (v2) {
    STRATA_ASSIGN_OR_RETURN(uint64_t extra, r.UIntLE(2));  // includes its own two bytes
    if (extra < 2) return Status::Corruption("rows event of " + where + ": bad extra data length");
    STRATA_RETURN_IF_ERROR(r.Skip(extra - 2));
  }
  STRATA_ASSIGN_OR_RETURN(uint64_t count, r.PackedInt());
  if (count != map.columns.size()) {
    return Status::Corruption("rows event of " + where + " has " + std::to_string(count) +
                              " columns, its table map " + std::to_string(map.columns.size()));
  }
  RowOp op = (type == kWriteRowsV1 || type == kWriteRowsV2)     ? RowOp::kInsert
             : (type == kUpdateRowsV1 || type == kUpdateRowsV2) ? RowOp::kUpdate
                                                                : RowOp::kDelete;
  size_t bitmap_bytes = (count + 7) / 8;
  STRATA_ASSIGN_OR_RETURN(std::string_view present, r.Bytes(bitmap_bytes));
  std::string_view present_after = present;
  if (op == RowOp::kUpdate) {
    STRATA_ASSIGN_OR_RETURN(present_after, r.Bytes(bitmap_bytes));
  }
  for (std::string_view bitmap : {present, present_after}) {
    for (size_t i = 0; i < count; ++i) {
      if (!((static_cast<uint8_t>(bitmap[i / 8]) >> (i % 8)) & 1)) {
        return Status::FailedPrecondition("rows event of " + where + " lacks column " +
                                          map.columns[i].name +
                                          ": set binlog_row_image=FULL on the server");
      }
    }
  }
  while (!r.AtEnd()) {
    RowChange change;
    change.op = op;
    std::vector<engine::Value>* first = op == RowOp::kInsert ? &change.after : &change.before;
    STRATA_RETURN_IF_ERROR(ReadRowImage(r, map, first));
    if (op == RowOp::kUpdate) STRATA_RETURN_IF_ERROR(ReadRowImage(r, map, &change.after));
    event.rows.push_back(std::move(change));
  }
  return event;
}

Result<GtidEvent> ParseGtidEvent(std::string_view body) {
  Reader r(body, "GTID event");
  GtidEvent g;
  STRATA_ASSIGN_OR_RETURN(g.sequence, r.UIntLE(8));
  STRATA_ASSIGN_OR_RETURN(uint64_t domain, r.UIntLE(4));
  g.domain = static_cast<uint32_t>(domain);
  STRATA_ASSIGN_OR_RETURN(g.flags, r.U8());
  return g;
}

Result<QueryEvent> ParseQueryEvent(std::string_view body) {
  Reader r(body, "QUERY event");
  STRATA_RETURN_IF_ERROR(r.Skip(8));  // thread id, execution time
  STRATA_ASSIGN_OR_RETURN(uint8_t db_len, r.U8());
  STRATA_RETURN_IF_ERROR(r.Skip(2));  // error code
  STRATA_ASSIGN_OR_RETURN(uint64_t status_len, r.UIntLE(2));
  STRATA_RETURN_IF_ERROR(r.Skip(status_len));
  QueryEvent q;
  STRATA_ASSIGN_OR_RETURN(std::string_view db, r.Bytes(db_len + 1u));
  q.database = std::string(db.substr(0, db_len));
  q.statement = std::string(r.Rest());
  return q;
}

Result<RotateEvent> ParseRotateEvent(std::string_view body) {
  Reader r(body, "ROTATE event");
  RotateEvent rotate;
  STRATA_ASSIGN_OR_RETURN(rotate.position, r.UIntLE(8));
  rotate.file = std::string(r.Rest());
  return rotate;
}

}  // namespace strata::ingest::mysql
