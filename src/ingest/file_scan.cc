#include "ingest/file_scan.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace strata::ingest {
namespace {

constexpr size_t kChunkBytes = 1 << 20;
constexpr size_t kMaxHeaderBytes = 1 << 20;
constexpr size_t kMaxShapedRecordBytes = 8 << 20;
constexpr std::string_view kBom = "\xEF\xBB\xBF";

struct EvpDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ != nullptr && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
  }
  void Update(std::string_view data) {
    ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) == 1;
  }
  // Empty string if OpenSSL failed at any step.
  std::string HexDigest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), digest, &length) != 1) return "";
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
      hex += kHex[digest[i] >> 4];
      hex += kHex[digest[i] & 15];
    }
    return hex;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, EvpDeleter> ctx_;
  bool ok_ = false;
};

// The record state machine of the header comment, fed chunk by chunk.
class RecordCounter {
 public:
  RecordCounter(const RecordScanOptions& options, FileScan* out) : opt_(options), out_(out) {}

  // Also hands the text of these lines (ascending line numbers) to `sink`.
  void Capture(std::vector<int64_t> lines, const LineSink* sink) {
    wanted_ = std::move(lines);
    sink_ = sink;
    AimCapture();
  }

  const Status& sink_status() const { return sink_status_; }

  void Feed(std::string_view chunk) {
    size_t pos = 0;
    while (pos < chunk.size()) {
      if (!in_quote_) {
        // Fast path: a segment up to the next line break that holds no quote character needs
        // no per-byte state.
        const char* base = chunk.data() + pos;
        size_t rest = chunk.size() - pos;
        const void* nl = std::memchr(base, '\n', rest);
        size_t seg = nl ? static_cast<const char*>(nl) - base : rest;
        if (!opt_.quote || std::memchr(base, *opt_.quote, seg) == nullptr) {
          if (seg > 0) {
            if (out_->lines == 0) CaptureHeader(std::string_view(base, seg));
            if (capturing_) current_.append(base, seg);
            if (shaping_) {
              // A whole line without quotes is split where it lies; other lines are gathered.
              if (nl && line_bytes_ == 0 && record_.empty()) {
                if (!HeaderLine()) ShapeLine(std::string_view(base, seg));
              } else {
                Gather(std::string_view(base, seg));
              }
            }
            line_bytes_ += static_cast<int64_t>(seg);
            last_was_cr_ = base[seg - 1] == '\r';
            field_start_ = base[seg - 1] == opt_.delimiter;
          }
          pos += seg;
          if (nl) {
            EndLine();
            ++pos;
          }
          continue;
        }
      }
      Byte(chunk[pos++]);
    }
  }

  void Finish() {
    if (line_bytes_ > 0 || in_quote_) EndLine();
    out_->unterminated_quote = in_quote_ && !quote_pending_;
  }

  const std::string& header_raw() const { return header_raw_; }

 private:
  void CaptureHeader(std::string_view bytes) {
    if (!opt_.header || header_raw_.size() >= kMaxHeaderBytes) return;
    header_raw_.append(bytes.substr(0, kMaxHeaderBytes - header_raw_.size()));
  }

  void Byte(char c) {
    if (out_->lines == 0) CaptureHeader(std::string_view(&c, 1));
    if (capturing_) current_ += c;  // EndLine drops the line break that ends the line
    if (shaping_) Gather(std::string_view(&c, 1));
    if (in_quote_) {
      if (after_escape_) {
        after_escape_ = false;
        return;
      }
      if (quote_pending_) {
        quote_pending_ = false;
        if (c == *opt_.quote) return;  // doubled quote: a literal quote
        in_quote_ = false;             // the quote closed the field; `c` is unquoted
      } else {
        if (opt_.escape && c == *opt_.escape && *opt_.escape != *opt_.quote) {
          after_escape_ = true;
        } else if (c == *opt_.quote) {
          if (opt_.escape == opt_.quote) {
            quote_pending_ = true;
          } else {
            in_quote_ = false;
          }
        }
        return;
      }
    }
    if (c == '\n') {
      EndLine();
      return;
    }
    ++line_bytes_;
    last_was_cr_ = c == '\r';
    if (c == opt_.delimiter) {
      field_start_ = true;
    } else {
      if (field_start_ && opt_.quote && c == *opt_.quote) in_quote_ = true;
      field_start_ = false;
    }
  }

  void EndLine() {
    ++out_->lines;
    bool blank = line_bytes_ == 0 || (line_bytes_ == 1 && last_was_cr_);
    bool is_header = opt_.header && out_->lines == 1;
    if (blank && !is_header) out_->blank_lines.push_back(out_->lines);
    if (capturing_) {
      if (!current_.empty() && current_.back() == '\n') current_.pop_back();
      if (!current_.empty() && current_.back() == '\r') current_.pop_back();
      if (sink_status_.ok()) sink_status_ = (*sink_)(out_->lines, current_);
      current_.clear();
    }
    if (!record_.empty()) {
      if (!is_header) {
        if (record_.back() == '\n') record_.pop_back();
        std::vector<std::string> fields =
            SplitCsvRecord(record_, opt_.delimiter, opt_.quote, opt_.escape);
        for (size_t i = 0; i < fields.size(); ++i) ShapeField(i, fields[i]);
      }
      record_.clear();
    }
    if (sink_ != nullptr) AimCapture();
    line_bytes_ = 0;
    last_was_cr_ = false;
    field_start_ = true;
  }

  bool HeaderLine() const { return opt_.header && out_->lines == 0; }

  // Adds to the record being gathered. A record longer than DuckDB's longest line (say, an
  // unterminated quote) ends the shaping: no position is then known to be plain.
  void Gather(std::string_view bytes) {
    record_.append(bytes);
    if (record_.size() <= kMaxShapedRecordBytes) return;
    shaping_ = false;
    out_->field_numbers.clear();
    std::string().swap(record_);
  }

  // The fields of one record line without quotes (a final '\r' is the line break's).
  void ShapeLine(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    for (size_t field = 0;; ++field) {
      size_t end = line.find(opt_.delimiter);
      ShapeField(field, line.substr(0, end));
      if (end == std::string_view::npos) return;
      line.remove_prefix(end + 1);
    }
  }

  // Folds one value into FieldNumbers of its position (see file_scan.h).
  void ShapeField(size_t field, std::string_view value) {
    std::vector<FieldNumbers>& shapes = out_->field_numbers;
    if (field >= shapes.size()) shapes.resize(field + 1);
    FieldNumbers& shape = shapes[field];
    if (!shape.plain || value.empty() || value == opt_.null_string) return;
    auto digit = [&](size_t i) { return i < value.size() && value[i] >= '0' && value[i] <= '9'; };
    size_t i = value[0] == '+' || value[0] == '-' ? 1 : 0;
    const size_t integer_start = i;
    while (digit(i)) ++i;
    bool plain = i > integer_start;
    int decimals = 0;
    if (plain && i < value.size()) {
      plain = value[i++] == '.' && digit(i);
      const size_t fraction_start = i;
      for (; digit(i); ++i) {
        if (value[i] != '0') decimals = static_cast<int>(i + 1 - fraction_start);
      }
      plain = plain && i == value.size();
    }
    shape.plain = plain;
    shape.decimals = std::max(shape.decimals, decimals);
  }

  // Whether the line being read (number lines + 1) is one to capture.
  void AimCapture() {
    const int64_t line = out_->lines + 1;
    while (next_wanted_ < wanted_.size() && wanted_[next_wanted_] < line) ++next_wanted_;
    capturing_ = next_wanted_ < wanted_.size() && wanted_[next_wanted_] == line;
  }

  const RecordScanOptions& opt_;
  FileScan* out_;
  std::vector<int64_t> wanted_;
  size_t next_wanted_ = 0;
  const LineSink* sink_ = nullptr;
  Status sink_status_;
  bool capturing_ = false;
  std::string current_;
  bool shaping_ = opt_.check_numbers;
  std::string record_;  // the line being read, when it cannot be shaped where it lies
  bool in_quote_ = false;
  bool quote_pending_ = false;
  bool after_escape_ = false;
  bool field_start_ = true;
  bool last_was_cr_ = false;
  int64_t line_bytes_ = 0;
  std::string header_raw_;
};

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string Sha256Hex(std::string_view data) {
  Sha256 sha;
  sha.Update(data);
  return sha.HexDigest();
}

std::vector<std::string> SplitCsvRecord(std::string_view record, char delimiter,
                                        std::optional<char> quote, std::optional<char> escape) {
  std::vector<std::string> fields(1);
  bool in_quote = false;
  bool field_start = true;
  for (size_t i = 0; i < record.size(); ++i) {
    char c = record[i];
    if (in_quote) {
      if (escape && c == *escape && i + 1 < record.size() &&
          (*escape != *quote || record[i + 1] == *quote)) {
        fields.back() += record[++i];
      } else if (c == *quote) {
        in_quote = false;
      } else {
        fields.back() += c;
      }
      continue;
    }
    if (c == delimiter) {
      fields.emplace_back();
      field_start = true;
      continue;
    }
    if (field_start && quote && c == *quote) {
      in_quote = true;
    } else if (c != '\r' || i + 1 != record.size()) {
      fields.back() += c;
    }
    field_start = false;
  }
  return fields;
}

namespace {

// One pass over `path`: SHA-256 unless options.hash is false, and records unless
// options.count_records is false; the lines in `capture` (ascending) go to `sink`.
Result<FileScan> Scan(const std::string& path, const RecordScanOptions& options,
                      std::vector<int64_t> capture, const LineSink* sink) {
  FdCloser file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  FileScan scan;
  if (!options.hash && !options.count_records && sink == nullptr) {
    struct stat info;
    if (::fstat(file.fd, &info) != 0) {
      return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
    }
    scan.size_bytes = info.st_size;
    return scan;
  }
  Sha256 sha;
  RecordCounter counter(options, &scan);
  if (sink != nullptr) counter.Capture(std::move(capture), sink);
  std::string buffer(kChunkBytes, '\0');
  bool first = true;
  while (true) {
    ssize_t n = ::read(file.fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    std::string_view chunk(buffer.data(), static_cast<size_t>(n));
    if (options.hash) sha.Update(chunk);
    scan.size_bytes += n;
    if (!options.count_records) continue;
    if (first && chunk.substr(0, kBom.size()) == kBom) {
      scan.has_bom = true;
      chunk.remove_prefix(kBom.size());
    }
    first = false;
    counter.Feed(chunk);
  }
  if (options.count_records) {
    counter.Finish();
    STRATA_RETURN_IF_ERROR(counter.sink_status());
    if (options.header && scan.lines > 0) {
      scan.header =
          SplitCsvRecord(counter.header_raw(), options.delimiter, options.quote, options.escape);
    }
  }
  if (options.hash) {
    scan.sha256 = sha.HexDigest();
    if (scan.sha256.empty()) return Status::Internal("OpenSSL SHA-256 failed for " + path);
  }
  return scan;
}

}  // namespace

Result<FileScan> ScanFile(const std::string& path, const RecordScanOptions& options) {
  return Scan(path, options, {}, nullptr);
}

Status ReadLines(const std::string& path, const RecordScanOptions& options,
                 std::vector<int64_t> line_numbers, const LineSink& sink) {
  std::sort(line_numbers.begin(), line_numbers.end());
  RecordScanOptions counting = options;
  counting.count_records = true;
  counting.check_numbers = false;
  counting.hash = false;  // only the lines are wanted
  return Scan(path, counting, std::move(line_numbers), &sink).status();
}

}  // namespace strata::ingest
