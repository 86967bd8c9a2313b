// Fuzz target for the landed-file scanner (src/ingest/file_scan.h): each input is scanned as a
// file under four reader settings (CSV with header and number checks, ';' without header, a
// backslash escape, JSON lines without quoting). Scanning never crashes; the hash and size match
// the bytes; ReadLines hands out every line the scan counted, in order; SplitCsvRecord takes any
// line apart.
// Build and run: fuzz/run [SECONDS] csv_scan_fuzz (fuzz/README.md).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/file_scan.h"

namespace {

void Check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "csv_scan_fuzz: %s\n", what);
  std::abort();
}

// The input as a file with a path (a memfd, so nothing touches the disk).
class MemoryFile {
 public:
  explicit MemoryFile(std::string_view bytes) : fd_(memfd_create("csv_scan_fuzz", 0)) {
    Check(fd_ >= 0, "memfd_create failed");
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
      Check(n > 0, "write to memfd failed");
      done += static_cast<size_t>(n);
    }
  }
  ~MemoryFile() { close(fd_); }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::ingest;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  MemoryFile file(bytes);
  const std::string expected_hash = Sha256Hex(bytes);
  RecordScanOptions settings[4];
  settings[0].check_numbers = true;
  settings[0].null_string = "NA";
  settings[1].delimiter = ';';
  settings[1].header = false;
  settings[2].escape = '\\';
  settings[2].check_numbers = true;
  settings[3].quote = std::nullopt;
  settings[3].escape = std::nullopt;
  settings[3].header = false;
  for (const RecordScanOptions& options : settings) {
    auto scan = ScanFile(file.path(), options);
    Check(scan.ok(), "scan of a readable file failed");
    Check(scan->sha256 == expected_hash, "hash differs from Sha256Hex");
    Check(scan->size_bytes == static_cast<int64_t>(size), "size differs");
    Check(scan->lines >= 0 && scan->data_records(options.header, false) >= 0, "negative counts");
    std::vector<int64_t> wanted;
    for (int64_t line = 1; line <= scan->lines && line <= 64; ++line) wanted.push_back(line);
    wanted.push_back(scan->lines + 1);  // past the end: skipped
    int64_t last = 0;
    size_t delivered = 0;
    strata::Status read = ReadLines(
        file.path(), options, wanted, [&](int64_t line, std::string_view text) -> strata::Status {
          Check(line > last, "lines out of order");
          last = line;
          ++delivered;
          (void)SplitCsvRecord(text, options.delimiter, options.quote, options.escape);
          return strata::Status::OK();
        });
    Check(read.ok(), "ReadLines of a readable file failed");
    Check(delivered == wanted.size() - 1, "ReadLines skipped a line the scan counted");
  }
  return 0;
}

#include "fuzz_main.h"
