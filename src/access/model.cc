// Privileges, targets and what a Principal may do: pure functions of the values in access.h.
#include <algorithm>
#include <string>
#include <string_view>

#include "access/access.h"
#include "access/internal.h"

namespace strata::access {

namespace {

constexpr std::pair<Privilege, std::string_view> kPrivilegeNames[] = {
    {Privilege::kRead, "read"}, {Privilege::kUnmask, "unmask"}, {Privilege::kRun, "run"},
    {Privilege::kEdit, "edit"}, {Privilege::kAdmin, "admin"},
};

bool IsIdentifier(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return internal::AsciiLower(x) == internal::AsciiLower(y);
         });
}

Status BadTarget(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid target '" + std::string(text) + "': " + std::string(why) +
                                 " (expected *, layer:NAME, table:LAYER.NAME or tag:NAME)");
}

// Whether `grant` gives `privilege` on `table`.
bool Covers(const Grant& grant, Privilege privilege, const TableRef& table) {
  if (grant.privilege != privilege) return false;
  switch (grant.target.kind) {
    case Target::Kind::kAll:
      return true;
    case Target::Kind::kLayer:
      return EqualsIgnoringCase(grant.target.name, table.layer);
    case Target::Kind::kTable:
      return EqualsIgnoringCase(grant.target.name, table.layer + "." + table.name);
    case Target::Kind::kTag:
      return std::any_of(table.tags.begin(), table.tags.end(), [&](const std::string& tag) {
        return EqualsIgnoringCase(grant.target.name, tag);
      });
  }
  return false;
}

}  // namespace

std::string_view PrivilegeName(Privilege privilege) {
  for (const auto& [value, name] : kPrivilegeNames) {
    if (value == privilege) return name;
  }
  return "unknown";
}

Result<Privilege> ParsePrivilege(std::string_view text) {
  for (const auto& [value, name] : kPrivilegeNames) {
    if (EqualsIgnoringCase(text, name)) return value;
  }
  return Status::InvalidArgument("unknown privilege '" + std::string(text) +
                                 "' (expected read, unmask, run, edit or admin)");
}

std::string Target::Text() const {
  switch (kind) {
    case Kind::kAll:
      return "*";
    case Kind::kLayer:
      return "layer:" + name;
    case Kind::kTable:
      return "table:" + name;
    case Kind::kTag:
      return "tag:" + name;
  }
  return "*";
}

Result<Target> ParseTarget(std::string_view text) {
  if (text == "*") return Target{};
  std::string_view kind_text;
  std::string_view name = text;
  if (size_t colon = text.find(':'); colon != std::string_view::npos) {
    kind_text = text.substr(0, colon);
    name = text.substr(colon + 1);
  } else {
    kind_text = text.find('.') == std::string_view::npos ? "layer" : "table";
  }
  if (name.empty()) return BadTarget(text, "no name");
  if (kind_text == "tag") {
    // Catalog tags are free text ("Core Domain"): anything printable, bounded.
    if (name.size() > 128 || !std::all_of(name.begin(), name.end(), [](char c) {
          return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
        })) {
      return BadTarget(text, "a tag is 1-128 printable characters");
    }
    return Target{Target::Kind::kTag, std::string(name)};
  }
  if (kind_text == "layer") {
    if (!IsIdentifier(name)) return BadTarget(text, "a layer name is letters, digits and _");
    return Target{Target::Kind::kLayer, internal::Lower(name)};
  }
  if (kind_text == "table") {
    size_t dot = name.find('.');
    if (dot == std::string_view::npos || !IsIdentifier(name.substr(0, dot)) ||
        !IsIdentifier(name.substr(dot + 1))) {
      return BadTarget(text, "a table is LAYER.NAME of letters, digits and _");
    }
    return Target{Target::Kind::kTable, internal::Lower(name)};
  }
  return BadTarget(text, "unknown kind '" + std::string(kind_text) + "'");
}

bool Principal::IsAdmin() const {
  return std::any_of(grants.begin(), grants.end(), [](const Grant& g) {
    return g.privilege == Privilege::kAdmin && g.target.kind == Target::Kind::kAll;
  });
}

bool Principal::Can(Privilege privilege) const {
  if (IsAdmin()) return true;
  return std::any_of(grants.begin(), grants.end(), [&](const Grant& g) {
    return g.privilege == privilege && g.target.kind == Target::Kind::kAll;
  });
}

bool Principal::CanRead(const TableRef& table) const {
  if (IsAdmin()) return true;
  return std::any_of(grants.begin(), grants.end(),
                     [&](const Grant& g) { return Covers(g, Privilege::kRead, table); });
}

bool Principal::CanUnmask(const TableRef& table) const {
  if (IsAdmin()) return true;
  return CanRead(table) && std::any_of(grants.begin(), grants.end(), [&](const Grant& g) {
           return Covers(g, Privilege::kUnmask, table);
         });
}

}  // namespace strata::access
