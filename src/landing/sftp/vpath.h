// Path confinement for SFTP partners: every path a client sends is virtual, resolved against the
// partner's own root as if chrooted, and mapped to exactly one real location inside that
// partner's areas. Nothing a client sends can name a file outside them.
//
// A partner P sees:
//   /            -> <landing>/P/            (read-write unless the user is read-only)
//   /rejected/.. -> <rejected>/P/..         (read-only: files refused on arrival, with reasons)
//
// Rules (ResolveVirtualPath):
//  - Relative paths are relative to "/" (the session's only working directory).
//  - "." and empty components are dropped; ".." removes the previous component and stops at
//    "/" (as in a chroot: "/../../etc" is "/etc", a name inside the partner's root).
//  - A NUL byte, a backslash or a control character in any component is refused
//    (InvalidArgument); so is a path longer than 4096 bytes or a component longer than 255.
//  - The result names the area and the area-relative path ("" for the area's root).
// Symlinks: the server never creates them (SYMLINK and hardlink requests are refused), and
// CheckNoSymlinks refuses any existing path component that is one, so a link placed by someone
// else cannot lead out either.
// Thread-safe: pure functions (CheckNoSymlinks reads the file system).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace strata::sftp {

enum class Area { kLanding, kRejected };

struct VirtualPath {
  std::string normalized;  // "/a/b.csv", "/" for the root
  Area area = Area::kLanding;
  std::string relative;  // area-relative: "a/b.csv", "" for the area root
};

// The virtual name of the read-only rejected area, as the partner sees it.
inline constexpr std::string_view kRejectedDir = "rejected";

Result<VirtualPath> ResolveVirtualPath(std::string_view path);

// `base` joined with `relative` ("" gives `base`).
std::string JoinPath(const std::string& base, const std::string& relative);

// OK if no existing component of `relative` under `base` is a symbolic link (missing trailing
// components are fine: they are about to be created). PermissionDenied-like InvalidArgument
// naming the component otherwise.
Status CheckNoSymlinks(const std::string& base, const std::string& relative);

// True if `name` is a valid SFTP user (partner) name: 1-32 of [a-z0-9_-], starting with a
// letter or digit, and not "rejected".
bool IsValidPartnerName(std::string_view name);

}  // namespace strata::sftp
