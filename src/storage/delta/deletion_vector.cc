#include "storage/delta/deletion_vector.h"

#include <array>
#include <cstring>
#include <fstream>

#include "storage/delta/log_files.h"

namespace strata::delta {
namespace {

constexpr std::string_view kZ85Chars =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
constexpr uint32_t kRoaringArrayMagic = 1681511377;
constexpr uint32_t kSerialCookieNoRun = 12346;
constexpr uint32_t kSerialCookie = 12347;

uint32_t Crc32(std::string_view data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char b : data) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

// Bounds-checked little/big-endian reader over a byte string.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool Has(size_t n) const { return pos_ + n <= data_.size(); }
  size_t pos() const { return pos_; }
  void Seek(size_t pos) { pos_ = pos; }
  uint64_t Le(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t(uint8_t(data_[pos_ + i])) << (8 * i);
    pos_ += bytes;
    return v;
  }
  uint32_t Be32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | uint8_t(data_[pos_ + i]);
    pos_ += 4;
    return v;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

// One 32-bit roaring bitmap in the portable format; values get `high << 32` added.
Status ParseRoaring32(Reader& r, uint64_t high, std::vector<uint64_t>* out) {
  auto corrupt = [](const std::string& what) {
    return Status::Corruption("deletion vector bitmap: " + what);
  };
  if (!r.Has(4)) return corrupt("truncated cookie");
  size_t start = r.pos();
  uint32_t cookie = static_cast<uint32_t>(r.Le(4));
  uint32_t containers = 0;
  bool has_runs = false;
  std::vector<uint8_t> run_flags;
  if ((cookie & 0xFFFF) == kSerialCookie) {
    has_runs = true;
    containers = (cookie >> 16) + 1;
    size_t flag_bytes = (containers + 7) / 8;
    if (!r.Has(flag_bytes)) return corrupt("truncated run flags");
    for (size_t i = 0; i < flag_bytes; ++i) run_flags.push_back(static_cast<uint8_t>(r.Le(1)));
  } else if (cookie == kSerialCookieNoRun) {
    if (!r.Has(4)) return corrupt("truncated container count");
    containers = static_cast<uint32_t>(r.Le(4));
  } else {
    return corrupt("bad cookie " + std::to_string(cookie));
  }
  if (containers > 65536 || !r.Has(size_t(containers) * 4)) return corrupt("bad container count");
  std::vector<uint16_t> keys(containers);
  std::vector<uint32_t> cards(containers);
  for (uint32_t i = 0; i < containers; ++i) {
    keys[i] = static_cast<uint16_t>(r.Le(2));
    cards[i] = static_cast<uint32_t>(r.Le(2)) + 1;
  }
  // Offsets are present without runs, or with at least 4 containers; we read sequentially.
  if (!has_runs || containers >= 4) {
    if (!r.Has(size_t(containers) * 4)) return corrupt("truncated offsets");
    r.Seek(r.pos() + size_t(containers) * 4);
  }
  (void)start;
  for (uint32_t i = 0; i < containers; ++i) {
    uint64_t base = (high << 32) | (uint64_t(keys[i]) << 16);
    bool is_run = has_runs && (run_flags[i / 8] >> (i % 8)) & 1;
    if (is_run) {
      if (!r.Has(2)) return corrupt("truncated run container");
      uint32_t runs = static_cast<uint32_t>(r.Le(2));
      if (!r.Has(size_t(runs) * 4)) return corrupt("truncated runs");
      for (uint32_t k = 0; k < runs; ++k) {
        uint32_t value = static_cast<uint32_t>(r.Le(2));
        uint32_t length = static_cast<uint32_t>(r.Le(2));
        if (value + length > 0xFFFF) return corrupt("run past container end");
        for (uint32_t v = value; v <= value + length; ++v) out->push_back(base | v);
      }
    } else if (cards[i] <= 4096) {
      if (!r.Has(size_t(cards[i]) * 2)) return corrupt("truncated array container");
      for (uint32_t k = 0; k < cards[i]; ++k) out->push_back(base | r.Le(2));
    } else {
      if (!r.Has(8192)) return corrupt("truncated bitmap container");
      for (uint32_t w = 0; w < 1024; ++w) {
        uint64_t word = r.Le(8);
        while (word != 0) {
          int bit = __builtin_ctzll(word);
          out->push_back(base | (w * 64 + bit));
          word &= word - 1;
        }
      }
    }
  }
  return Status::OK();
}

Result<std::string> ReadLocalRange(const std::string& path, int64_t offset, int64_t length) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("deletion vector file " + path + " not found");
  in.seekg(offset);
  std::string data(static_cast<size_t>(length), '\0');
  in.read(data.data(), length);
  data.resize(static_cast<size_t>(in.gcount()));
  return data;
}

}  // namespace

Result<std::string> Z85Decode(std::string_view text) {
  if (text.size() % 5 != 0) {
    return Status::Corruption("Z85 text of length " + std::to_string(text.size()) +
                              " is not a multiple of 5");
  }
  std::string out;
  out.reserve(text.size() / 5 * 4);
  for (size_t i = 0; i < text.size(); i += 5) {
    uint64_t value = 0;
    for (size_t k = 0; k < 5; ++k) {
      size_t digit = kZ85Chars.find(text[i + k]);
      if (digit == std::string_view::npos) {
        return Status::Corruption("invalid Z85 character '" + std::string(1, text[i + k]) + "'");
      }
      value = value * 85 + digit;
    }
    if (value > 0xFFFFFFFFull) return Status::Corruption("Z85 group out of range");
    for (int b = 3; b >= 0; --b) out += static_cast<char>((value >> (8 * b)) & 0xFF);
  }
  return out;
}

std::string Z85Encode(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
    uint32_t value = 0;
    for (size_t k = 0; k < 4; ++k) value = (value << 8) | uint8_t(bytes[i + k]);
    char group[5];
    for (int k = 4; k >= 0; --k) {
      group[k] = kZ85Chars[value % 85];
      value /= 85;
    }
    out.append(group, 5);
  }
  return out;
}

Result<std::vector<uint64_t>> ParseRoaringBitmapArray(std::string_view bytes) {
  Reader r(bytes);
  if (!r.Has(12)) return Status::Corruption("deletion vector bitmap: truncated header");
  uint32_t magic = static_cast<uint32_t>(r.Le(4));
  if (magic != kRoaringArrayMagic) {
    return Status::Corruption("deletion vector bitmap: bad magic number " + std::to_string(magic));
  }
  uint64_t bitmaps = r.Le(8);
  std::vector<uint64_t> rows;
  for (uint64_t i = 0; i < bitmaps; ++i) {
    if (!r.Has(4)) return Status::Corruption("deletion vector bitmap: truncated bitmap key");
    uint64_t high = r.Le(4);
    STRATA_RETURN_IF_ERROR(ParseRoaring32(r, high, &rows));
  }
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i] <= rows[i - 1]) {
      return Status::Corruption("deletion vector bitmap: row indexes not strictly ascending");
    }
  }
  return rows;
}

std::string SerializeRoaringBitmapArray(const std::vector<uint64_t>& rows) {
  // Group rows by high 32 bits, then by 16-bit container key.
  std::string out;
  PutLe(out, kRoaringArrayMagic, 4);
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> groups;
  for (uint64_t row : rows) {
    uint32_t high = static_cast<uint32_t>(row >> 32);
    if (groups.empty() || groups.back().first != high) groups.push_back({high, {}});
    groups.back().second.push_back(static_cast<uint32_t>(row));
  }
  PutLe(out, groups.size(), 8);
  for (const auto& [high, lows] : groups) {
    PutLe(out, high, 4);
    std::vector<std::pair<uint16_t, std::vector<uint16_t>>> containers;
    for (uint32_t v : lows) {
      uint16_t key = static_cast<uint16_t>(v >> 16);
      if (containers.empty() || containers.back().first != key) containers.push_back({key, {}});
      containers.back().second.push_back(static_cast<uint16_t>(v));
    }
    PutLe(out, kSerialCookieNoRun, 4);
    PutLe(out, containers.size(), 4);
    for (const auto& [key, values] : containers) {
      PutLe(out, key, 2);
      PutLe(out, values.size() - 1, 2);
    }
    // Offsets are relative to the start of this 32-bit bitmap.
    size_t offset = 8 + containers.size() * 8;
    for (const auto& [key, values] : containers) {
      PutLe(out, offset, 4);
      offset += values.size() <= 4096 ? values.size() * 2 : 8192;
    }
    for (const auto& [key, values] : containers) {
      if (values.size() <= 4096) {
        for (uint16_t v : values) PutLe(out, v, 2);
      } else {
        std::vector<uint64_t> words(1024, 0);
        for (uint16_t v : values) words[v / 64] |= uint64_t{1} << (v % 64);
        for (uint64_t w : words) PutLe(out, w, 8);
      }
    }
  }
  return out;
}

Result<std::string> DeletionVectorRelativePath(const DeletionVectorDescriptor& dv) {
  const std::string& p = dv.path_or_inline_dv;
  if (dv.storage_type != "u" || p.size() < 20) {
    return Status::Corruption("deletion vector '" + p + "' is not a relative UUID path");
  }
  std::string prefix = p.substr(0, p.size() - 20);
  STRATA_ASSIGN_OR_RETURN(std::string uuid_bytes,
                          Z85Decode(std::string_view(p).substr(p.size() - 20)));
  static const char* kHex = "0123456789abcdef";
  std::string uuid;
  for (size_t i = 0; i < uuid_bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) uuid += '-';
    uint8_t b = static_cast<uint8_t>(uuid_bytes[i]);
    uuid += kHex[b >> 4];
    uuid += kHex[b & 15];
  }
  std::string name = "deletion_vector_" + uuid + ".bin";
  return prefix.empty() ? name : prefix + "/" + name;
}

Result<std::vector<uint64_t>> LoadDeletionVector(storage::ObjectStore& store,
                                                 std::string_view table_root,
                                                 const DeletionVectorDescriptor& dv) {
  std::string bitmap;
  std::string where;
  if (dv.storage_type == "i") {
    where = "inline deletion vector";
    STRATA_ASSIGN_OR_RETURN(bitmap, Z85Decode(dv.path_or_inline_dv));
    if (dv.size_in_bytes < 0 || size_t(dv.size_in_bytes) > bitmap.size()) {
      return Status::Corruption(where + ": sizeInBytes exceeds the inline data");
    }
    bitmap.resize(static_cast<size_t>(dv.size_in_bytes));
  } else if (dv.storage_type == "u" || dv.storage_type == "p") {
    FileLocation loc;
    if (dv.storage_type == "u") {
      STRATA_ASSIGN_OR_RETURN(std::string rel, DeletionVectorRelativePath(dv));
      loc.key = JoinKey(table_root, rel);
    } else {
      STRATA_ASSIGN_OR_RETURN(loc, ResolveActionPath(store, table_root, dv.path_or_inline_dv));
    }
    where = "deletion vector file " + loc.Describe();
    int64_t offset = dv.offset.value_or(1);
    if (offset < 1 || dv.size_in_bytes < 0) return Status::Corruption(where + ": bad offset/size");
    int64_t length = offset + 4 + dv.size_in_bytes + 4;
    std::string data;
    if (loc.key) {
      STRATA_ASSIGN_OR_RETURN(data, store.GetRange(*loc.key, 0, length));
    } else {
      STRATA_ASSIGN_OR_RETURN(data, ReadLocalRange(*loc.local_path, 0, length));
    }
    if (data.size() != size_t(length)) return Status::Corruption(where + ": file is truncated");
    if (data[0] != 1) return Status::Corruption(where + ": unsupported format version");
    Reader r(data);
    r.Seek(static_cast<size_t>(offset));
    uint32_t size = r.Be32();
    if (size != uint32_t(dv.size_in_bytes)) {
      return Status::Corruption(where + ": stored size " + std::to_string(size) +
                                " != sizeInBytes " + std::to_string(dv.size_in_bytes));
    }
    bitmap = data.substr(static_cast<size_t>(offset) + 4, size);
    r.Seek(static_cast<size_t>(offset) + 4 + size);
    uint32_t crc = r.Be32();
    if (crc != Crc32(bitmap)) return Status::Corruption(where + ": checksum mismatch");
  } else {
    return Status::Unsupported("deletion vector storage type '" + dv.storage_type + "'");
  }
  auto rows = ParseRoaringBitmapArray(bitmap);
  if (!rows.ok()) return rows.status().WithContext(where);
  if (static_cast<int64_t>(rows->size()) != dv.cardinality) {
    return Status::Corruption(where + ": holds " + std::to_string(rows->size()) +
                              " rows, descriptor says " + std::to_string(dv.cardinality));
  }
  return rows;
}

}  // namespace strata::delta
