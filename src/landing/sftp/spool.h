// The spool: uploads closed by their client but not yet recorded as arrivals, kept so that a
// process that dies (kill -9, power cut of the process) loses none of them.
//
//   .strata/sftp/spool/<owner>/lock                  flocked by the live intake that owns it
//   .strata/sftp/spool/<owner>/<seq>/content         hard link to the upload as it was closed
//   .strata/sftp/spool/<owner>/<seq>/arrival.json    partner, path, received_at, identity, hash
//
// An entry is built as <seq>.new and renamed into place, so it is whole or absent; arrival.json
// is replaced by a rename too. Owners are "<pid>-<n>"; an owner's lock is free once its process
// died, and the next intake to start adopts its entries (SpoolOwner::AdoptLeftovers).
// Thread safety: SpoolOwner's methods may be called from any thread (NewEntryPath is atomic);
// the free functions touch only the entry they are given.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace strata::sftp {

struct SpoolEntry {
  std::string dir;        // the entry's directory
  std::string partner;    // "acme"
  std::string path;       // partner-relative: "pedidos.csv"
  std::string real_path;  // the partner's file
  std::string received_at;
  uint64_t device = 0, inode = 0;  // the partner's file when it arrived
  std::string sha256;              // "" until hashed
  int64_t size_bytes = 0;

  std::string ContentPath() const { return dir + "/content"; }
};

// Writes the entry's arrival.json (through a temporary file and a rename). IOError naming it.
Status WriteSpoolFacts(const SpoolEntry& entry);
// Reads the entry at `dir`. InvalidArgument naming the file when arrival.json is missing or bad.
Result<SpoolEntry> ReadSpoolEntry(const std::string& dir);
// Removes the entry (its content, if still there, and its facts).
void RemoveSpoolEntry(const SpoolEntry& entry);

class SpoolOwner {
 public:
  // Creates and locks a fresh owner directory under `spool_dir`. IOError naming what failed.
  static Result<std::unique_ptr<SpoolOwner>> Create(const std::string& spool_dir);
  // Unlocks; removes the directory if no entry is left in it.
  ~SpoolOwner();
  SpoolOwner(const SpoolOwner&) = delete;
  SpoolOwner& operator=(const SpoolOwner&) = delete;

  const std::string& dir() const { return dir_; }
  // A fresh entry directory path inside this owner (not created).
  std::string NewEntryPath();
  // Moves every whole entry of owners whose lock is free (their process died) into this owner
  // and returns them, oldest received first; half-built entries (<seq>.new: the client was
  // never told its upload was taken) are removed, as are the dead owners' directories. Entries
  // whose facts cannot be read are renamed <seq>.broken, logged and left for an operator.
  std::vector<SpoolEntry> AdoptLeftovers();

 private:
  SpoolOwner(std::string spool_dir, std::string dir, int lock_fd);
  std::string spool_dir_;
  std::string dir_;
  int lock_fd_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace strata::sftp
