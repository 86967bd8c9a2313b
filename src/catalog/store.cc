// The parts of store.h shared by both implementations.
#include "catalog/store.h"

#include <charconv>
#include <cstdlib>

namespace strata::catalog {

const std::string& SqlRow::Text(size_t i) const {
  static const std::string kEmpty;
  return IsNull(i) ? kEmpty : *cells[i];
}

std::optional<int64_t> SqlRow::OptInt(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  const std::string& s = *cells[i];
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

int64_t SqlRow::Int(size_t i, int64_t fallback) const { return OptInt(i).value_or(fallback); }

double SqlRow::Double(size_t i, double fallback) const {
  if (IsNull(i)) return fallback;
  char* end = nullptr;
  double value = std::strtod(cells[i]->c_str(), &end);
  return end == cells[i]->c_str() ? fallback : value;
}

bool IsPostgresUrl(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& location) {
  if (location.empty()) return Status::InvalidArgument("catalog location is empty");
  if (IsPostgresUrl(location)) return OpenPostgresStore(location);
  return OpenSqliteStore(location);
}

WriteTransaction::~WriteTransaction() {
  // A failed rollback leaves nothing to report to: the connection discards the transaction
  // when it closes anyway.
  if (open_) store_.Rollback().ok();
}

Status WriteTransaction::Begin() {
  STRATA_RETURN_IF_ERROR(store_.BeginWrite());
  open_ = true;
  return Status::OK();
}

Status WriteTransaction::Commit() {
  if (!open_) return Status::FailedPrecondition("commit without an open transaction");
  open_ = false;
  Status status = store_.Commit();
  if (!status.ok()) store_.Rollback().ok();
  return status;
}

}  // namespace strata::catalog
