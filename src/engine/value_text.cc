// Cell text exactly as DuckDB's CAST(x AS VARCHAR) prints it, decoded from the vectors of a
// chunk. We decode ourselves (rather than asking DuckDB per cell) because the C API has no
// per-cell cast, and building a duckdb_value per cell would cost an allocation each.
//
// The nested rules, verified against DuckDB 1.4 by value_text_test.cc:
//  - LIST/MAP/STRUCT print scalars inside them quoted ('...', with \' and \\) when the text is
//    empty, "null" in any case, starts or ends with white space, or holds one of "'(),:=[]{}.
//  - STRUCT keys are always quoted; an unnamed STRUCT prints as (a, b).
//  - ARRAY elements and UNION members print as they would on their own (no quoting).
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "engine/internal.h"

namespace strata::engine::internal {
namespace {

using Int128 = __int128;
using UInt128 = unsigned __int128;

template <typename T>
T Load(duckdb_vector vector, uint64_t row) {
  T value;
  std::memcpy(&value, static_cast<const char*>(duckdb_vector_get_data(vector)) + row * sizeof(T),
              sizeof(T));
  return value;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool NeedsQuotes(std::string_view text) {
  if (text.empty() || IsSpace(text.front()) || (text.size() >= 2 && IsSpace(text.back()))) {
    return true;
  }
  if (text.size() == 4) {
    std::string lower(text);
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (lower == "null") return true;
  }
  return text.find_first_of("\"'(),:=[]{}") != std::string_view::npos;
}

void AppendQuoted(std::string_view text, std::string* out) {
  out->push_back('\'');
  for (char c : text) {
    if (c == '\'' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('\'');
}

bool IsContainer(duckdb_type id) {
  return id == DUCKDB_TYPE_LIST || id == DUCKDB_TYPE_STRUCT || id == DUCKDB_TYPE_MAP ||
         id == DUCKDB_TYPE_ARRAY;
}

// A value inside a container: NULL spelled out, scalars quoted when `quote` and DuckDB would.
void AppendElement(const TypeInfo& type, duckdb_vector vector, uint64_t row, bool quote,
                   std::string* out) {
  if (!CellIsValid(vector, row)) {
    out->append("NULL");
    return;
  }
  if (!quote || IsContainer(type.id) || type.id == DUCKDB_TYPE_UNION) {
    AppendCellText(type, vector, row, out);
    return;
  }
  std::string text;
  AppendCellText(type, vector, row, &text);
  if (NeedsQuotes(text)) {
    AppendQuoted(text, out);
  } else {
    out->append(text);
  }
}

void AppendList(const TypeInfo& type, duckdb_vector vector, uint64_t row, std::string* out) {
  duckdb_list_entry entry = Load<duckdb_list_entry>(vector, row);
  duckdb_vector child = duckdb_list_vector_get_child(vector);
  bool is_map = type.id == DUCKDB_TYPE_MAP;
  out->push_back(is_map ? '{' : '[');
  for (uint64_t i = 0; i < entry.length; ++i) {
    if (i > 0) out->append(", ");
    if (is_map) {
      AppendElement(type.children[0], duckdb_struct_vector_get_child(child, 0), entry.offset + i,
                    true, out);
      out->push_back('=');
      AppendElement(type.children[1], duckdb_struct_vector_get_child(child, 1), entry.offset + i,
                    true, out);
    } else {
      AppendElement(type.children[0], child, entry.offset + i, true, out);
    }
  }
  out->push_back(is_map ? '}' : ']');
}

void AppendStruct(const TypeInfo& type, duckdb_vector vector, uint64_t row, std::string* out) {
  out->push_back(type.unnamed_struct ? '(' : '{');
  for (size_t i = 0; i < type.children.size(); ++i) {
    if (i > 0) out->append(", ");
    if (!type.unnamed_struct) {
      AppendQuoted(type.child_names[i], out);
      out->append(": ");
    }
    AppendElement(type.children[i], duckdb_struct_vector_get_child(vector, i), row, true, out);
  }
  out->push_back(type.unnamed_struct ? ')' : '}');
}

}  // namespace

bool CellIsValid(duckdb_vector vector, uint64_t row) {
  uint64_t* validity = duckdb_vector_get_validity(vector);
  return validity == nullptr || duckdb_validity_row_is_valid(validity, row);
}

std::string_view CellString(duckdb_vector vector, uint64_t row) {
  auto* strings = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector));
  duckdb_string_t& s = strings[row];
  uint32_t length = s.value.inlined.length;
  if (duckdb_string_is_inlined(s)) return std::string_view(s.value.inlined.inlined, length);
  return std::string_view(s.value.pointer.ptr, length);
}

void AppendCellText(const TypeInfo& type, duckdb_vector vector, uint64_t row, std::string* out) {
  switch (type.id) {
    case DUCKDB_TYPE_BOOLEAN:
      out->append(Load<bool>(vector, row) ? "true" : "false");
      return;
    case DUCKDB_TYPE_TINYINT:
      out->append(std::to_string(Load<int8_t>(vector, row)));
      return;
    case DUCKDB_TYPE_SMALLINT:
      out->append(std::to_string(Load<int16_t>(vector, row)));
      return;
    case DUCKDB_TYPE_INTEGER:
      out->append(std::to_string(Load<int32_t>(vector, row)));
      return;
    case DUCKDB_TYPE_BIGINT:
      out->append(std::to_string(Load<int64_t>(vector, row)));
      return;
    case DUCKDB_TYPE_UTINYINT:
      out->append(std::to_string(Load<uint8_t>(vector, row)));
      return;
    case DUCKDB_TYPE_USMALLINT:
      out->append(std::to_string(Load<uint16_t>(vector, row)));
      return;
    case DUCKDB_TYPE_UINTEGER:
      out->append(std::to_string(Load<uint32_t>(vector, row)));
      return;
    case DUCKDB_TYPE_UBIGINT:
      out->append(std::to_string(Load<uint64_t>(vector, row)));
      return;
    case DUCKDB_TYPE_HUGEINT:
      AppendSigned128(HugeToInt128(Load<duckdb_hugeint>(vector, row)), out);
      return;
    case DUCKDB_TYPE_UHUGEINT: {
      auto h = Load<duckdb_uhugeint>(vector, row);
      AppendUnsigned128((static_cast<UInt128>(h.upper) << 64) | h.lower, out);
      return;
    }
    case DUCKDB_TYPE_FLOAT:
      out->append(FormatFloat(Load<float>(vector, row)));
      return;
    case DUCKDB_TYPE_DOUBLE:
      out->append(FormatDouble(Load<double>(vector, row)));
      return;
    case DUCKDB_TYPE_DECIMAL: {
      Int128 value = 0;
      switch (type.storage) {
        case DUCKDB_TYPE_SMALLINT:
          value = Load<int16_t>(vector, row);
          break;
        case DUCKDB_TYPE_INTEGER:
          value = Load<int32_t>(vector, row);
          break;
        case DUCKDB_TYPE_BIGINT:
          value = Load<int64_t>(vector, row);
          break;
        default:
          value = HugeToInt128(Load<duckdb_hugeint>(vector, row));
          break;
      }
      AppendDecimal(value, type.scale, out);
      return;
    }
    case DUCKDB_TYPE_VARCHAR:
      out->append(CellString(vector, row));
      return;
    case DUCKDB_TYPE_BLOB:
      AppendBlob(CellString(vector, row), out);
      return;
    case DUCKDB_TYPE_BIT:
      AppendBits(CellString(vector, row), out);
      return;
    case DUCKDB_TYPE_BIGNUM:
      AppendBignum(CellString(vector, row), out);
      return;
    case DUCKDB_TYPE_DATE:
      AppendDate(Load<int32_t>(vector, row), out);
      return;
    case DUCKDB_TYPE_TIME:
      AppendTimeOfDay(Load<int64_t>(vector, row), 6, out);
      return;
    case DUCKDB_TYPE_TIME_NS:
      AppendTimeOfDay(Load<int64_t>(vector, row), 9, out);
      return;
    case DUCKDB_TYPE_TIME_TZ: {
      duckdb_time_tz_struct parts = duckdb_from_time_tz(Load<duckdb_time_tz>(vector, row));
      const duckdb_time_struct& t = parts.time;
      AppendTimeOfDay(((int64_t{t.hour} * 60 + t.min) * 60 + t.sec) * 1000000 + t.micros, 6, out);
      AppendOffset(parts.offset, out);
      return;
    }
    case DUCKDB_TYPE_TIMESTAMP:
      AppendTimestamp(Load<int64_t>(vector, row), 6, out);
      return;
    case DUCKDB_TYPE_TIMESTAMP_TZ: {
      // Connections run in UTC (see Database::Connect), so the offset is always +00.
      int64_t micros = Load<int64_t>(vector, row);
      AppendTimestamp(micros, 6, out);
      if (micros != INT64_MAX && micros != -INT64_MAX) out->append("+00");
      return;
    }
    case DUCKDB_TYPE_TIMESTAMP_NS:
      AppendTimestamp(Load<int64_t>(vector, row), 9, out);
      return;
    case DUCKDB_TYPE_TIMESTAMP_MS:
      AppendTimestamp(Load<int64_t>(vector, row), 3, out);
      return;
    case DUCKDB_TYPE_TIMESTAMP_S:
      AppendTimestamp(Load<int64_t>(vector, row), 0, out);
      return;
    case DUCKDB_TYPE_INTERVAL:
      AppendInterval(Load<duckdb_interval>(vector, row), out);
      return;
    case DUCKDB_TYPE_UUID:
      AppendUuid(Load<duckdb_hugeint>(vector, row), out);
      return;
    case DUCKDB_TYPE_ENUM: {
      uint64_t index = 0;
      switch (type.storage) {
        case DUCKDB_TYPE_UTINYINT:
          index = Load<uint8_t>(vector, row);
          break;
        case DUCKDB_TYPE_USMALLINT:
          index = Load<uint16_t>(vector, row);
          break;
        default:
          index = Load<uint32_t>(vector, row);
          break;
      }
      if (index < type.enum_values.size()) out->append(type.enum_values[index]);
      return;
    }
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_MAP:
      AppendList(type, vector, row, out);
      return;
    case DUCKDB_TYPE_ARRAY: {
      duckdb_vector child = duckdb_array_vector_get_child(vector);
      out->push_back('[');
      for (uint64_t i = 0; i < type.array_size; ++i) {
        if (i > 0) out->append(", ");
        AppendElement(type.children[0], child, row * type.array_size + i, false, out);
      }
      out->push_back(']');
      return;
    }
    case DUCKDB_TYPE_STRUCT:
      AppendStruct(type, vector, row, out);
      return;
    case DUCKDB_TYPE_UNION: {
      // Child 0 of a union vector is the tag; members follow.
      uint8_t tag = Load<uint8_t>(duckdb_struct_vector_get_child(vector, 0), row);
      if (tag >= type.children.size()) return;
      duckdb_vector member = duckdb_struct_vector_get_child(vector, tag + 1);
      if (!CellIsValid(member, row)) {
        out->append("NULL");
        return;
      }
      AppendCellText(type.children[tag], member, row, out);
      return;
    }
    default:
      out->append("<" + type.name + ">");
      return;
  }
}

}  // namespace strata::engine::internal
