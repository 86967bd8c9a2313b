// The audit log (append-only: nothing here updates or deletes it) and ISO-8601 times.
#include <cstdio>
#include <string>
#include <vector>

#include "access/internal.h"
#include "catalog/store.h"
#include "common/civil_date.h"
#include "common/utf8.h"

namespace strata::access {

using catalog::SqlRows;

namespace internal {

std::string IsoTime(int64_t micros) {
  int64_t seconds = micros / 1'000'000;
  if (micros < 0 && micros % 1'000'000 != 0) seconds--;
  int64_t days = seconds / 86400;
  int64_t of_day = seconds % 86400;
  if (of_day < 0) {
    of_day += 86400;
    days--;
  }
  CivilDate date = CivilFromDays(days);
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", date.year, date.month,
                date.day, static_cast<int>(of_day / 3600), static_cast<int>(of_day / 60 % 60),
                static_cast<int>(of_day % 60));
  return buffer;
}

bool IsIsoTimePrefix(std::string_view text) {
  static constexpr std::string_view kShape = "0000-00-00T00:00:00Z";
  if (text.size() != 10 && text.size() != 13 && text.size() != 16 && text.size() != 19 &&
      text.size() != 20) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    bool ok = kShape[i] == '0' ? (text[i] >= '0' && text[i] <= '9') : text[i] == kShape[i];
    if (!ok) return false;
  }
  return true;
}

}  // namespace internal

namespace {

constexpr size_t kMaxDetail = 1000;
constexpr size_t kMaxField = 200;

std::string Bounded(const std::string& text, size_t limit) {
  return ToValidUtf8(std::string_view(text).substr(0, limit));
}

}  // namespace

Status AccessControlImpl::Audit(AuditEvent event) {
  if (event.action.empty()) return Status::InvalidArgument("an audit event needs an action");
  if (event.outcome.empty()) event.outcome = "ok";
  std::lock_guard lock(mu_);
  if (event.at.empty()) event.at = NowIso();
  return store_->Execute(
      "INSERT INTO access_audit_log (at, user_name, action, target, outcome, address, detail) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      {Bounded(event.at, 40), Bounded(event.user, kMaxField), Bounded(event.action, kMaxField),
       Bounded(event.target, kMaxField), Bounded(event.outcome, 40),
       Bounded(event.address, kMaxField), Bounded(event.detail, kMaxDetail)});
}

Result<std::vector<AuditEvent>> AccessControlImpl::ListAudit(const AuditFilter& filter) {
  if (filter.limit < 1 || filter.limit > 10000) {
    return Status::InvalidArgument("audit limit must be 1 to 10000, not " +
                                   std::to_string(filter.limit));
  }
  if (!filter.since.empty() && !internal::IsIsoTimePrefix(filter.since)) {
    return Status::InvalidArgument("invalid time '" + Bounded(filter.since, 40) +
                                   "': expected ISO-8601 UTC such as 2026-12-07 or "
                                   "2026-12-07T21:00:00Z");
  }
  std::string sql =
      "SELECT id, at, user_name, action, target, outcome, address, detail FROM access_audit_log "
      "WHERE 1 = 1";
  catalog::SqlParams params;
  if (!filter.user.empty()) {
    sql += " AND user_name = ?";
    params.push_back(filter.user);
  }
  if (!filter.action.empty()) {
    // substr, not LIKE: an action's '_' or '%' is not a pattern.
    sql += " AND substr(action, 1, " + std::to_string(filter.action.size()) + ") = ?";
    params.push_back(filter.action);
  }
  if (!filter.since.empty()) {
    sql += " AND at >= ?";
    params.push_back(filter.since);
  }
  sql += " ORDER BY id DESC LIMIT " + std::to_string(filter.limit);
  std::lock_guard lock(mu_);
  STRATA_ASSIGN_OR_RETURN(SqlRows rows, store_->Query(sql, params));
  std::vector<AuditEvent> out;
  for (const catalog::SqlRow& r : rows) {
    out.push_back(AuditEvent{r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5),
                             r.Text(6), r.Text(7)});
  }
  return out;
}

}  // namespace strata::access
