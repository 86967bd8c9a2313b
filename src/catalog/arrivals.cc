#include "catalog/arrivals.h"

#include <string>
#include <utility>

namespace strata::catalog {
namespace {

SqlParam OptionalInt(const std::optional<int64_t>& value) {
  if (!value) return std::monostate{};
  return *value;
}

constexpr const char* kColumns =
    "id, partner, path, source, size_bytes, sha256, received_at, state, reason, stored_as, "
    "rows_loaded, rows_quarantined, run_id, updated_at";

ArrivalRecord FromRow(const SqlRow& row) {
  ArrivalRecord a;
  a.id = row.Int(0);
  a.partner = row.Text(1);
  a.path = row.Text(2);
  a.source = row.Text(3);
  a.size_bytes = row.Int(4);
  a.sha256 = row.Text(5);
  a.received_at = row.Text(6);
  a.state = row.Text(7);
  a.reason = row.Text(8);
  a.stored_as = row.Text(9);
  a.rows_loaded = row.OptInt(10);
  a.rows_quarantined = row.OptInt(11);
  a.run_id = row.Text(12);
  a.updated_at = row.Text(13);
  return a;
}

}  // namespace

Result<int64_t> RecordArrival(Catalog& catalog, const ArrivalRecord& arrival) {
  Store& store = catalog.store();
  const std::string now = NowIso8601();
  // RETURNING (SQLite 3.35+, PostgreSQL) gives this row's id even with concurrent writers.
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      store.Query(
          "INSERT INTO file_arrivals (partner, path, source, size_bytes, sha256, received_at, "
          "state, reason, stored_as, rows_loaded, rows_quarantined, run_id, updated_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
          {arrival.partner, arrival.path, arrival.source, arrival.size_bytes, arrival.sha256,
           arrival.received_at.empty() ? now : arrival.received_at,
           arrival.state.empty() ? std::string("received") : arrival.state, arrival.reason,
           arrival.stored_as, OptionalInt(arrival.rows_loaded),
           OptionalInt(arrival.rows_quarantined), arrival.run_id, now}));
  if (rows.empty() || rows[0].IsNull(0)) return Status::Internal("file_arrivals: no id assigned");
  return rows[0].Int(0);
}

Status UpdateArrival(Catalog& catalog, const ArrivalRecord& arrival) {
  Store& store = catalog.store();
  WriteTransaction transaction(store);
  STRATA_RETURN_IF_ERROR(transaction.Begin());
  STRATA_ASSIGN_OR_RETURN(SqlRows found,
                          store.Query("SELECT id FROM file_arrivals WHERE id = ?", {arrival.id}));
  if (found.empty()) {
    return Status::NotFound("file arrival " + std::to_string(arrival.id) + " is not recorded");
  }
  STRATA_RETURN_IF_ERROR(
      store.Execute("UPDATE file_arrivals SET state = ?, reason = ?, "
                    "stored_as = CASE WHEN ? = '' THEN stored_as ELSE ? END, rows_loaded = ?, "
                    "rows_quarantined = ?, run_id = ?, updated_at = ? WHERE id = ?",
                    {arrival.state, arrival.reason, arrival.stored_as, arrival.stored_as,
                     OptionalInt(arrival.rows_loaded), OptionalInt(arrival.rows_quarantined),
                     arrival.run_id, NowIso8601(), arrival.id}));
  return transaction.Commit();
}

Result<std::vector<ArrivalRecord>> ListArrivals(Catalog& catalog, const ArrivalFilter& filter) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM file_arrivals WHERE 1 = 1";
  SqlParams params;
  if (!filter.partner.empty()) {
    sql += " AND partner = ?";
    params.emplace_back(filter.partner);
  }
  if (!filter.state.empty()) {
    sql += " AND state = ?";
    params.emplace_back(filter.state);
  }
  if (!filter.sha256.empty()) {
    sql += " AND sha256 = ?";
    params.emplace_back(filter.sha256);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(int64_t{filter.limit > 0 ? filter.limit : 100});
  STRATA_ASSIGN_OR_RETURN(SqlRows rows, catalog.store().Query(sql, params));
  std::vector<ArrivalRecord> out;
  out.reserve(rows.size());
  for (const SqlRow& row : rows) out.push_back(FromRow(row));
  return out;
}

}  // namespace strata::catalog
