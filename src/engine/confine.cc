#include "engine/confine.h"

namespace strata::engine {
namespace {

std::string SqlList(const std::vector<std::string>& paths, bool directories) {
  std::string list;
  for (const std::string& path : paths) {
    if (!list.empty()) list += ", ";
    list += QuoteLiteral(directories && !path.ends_with('/') ? path + "/" : path);
  }
  return "[" + list + "]::VARCHAR[]";
}

}  // namespace

Result<std::unique_ptr<Database>> OpenConfined(const DatabaseOptions& options,
                                               const Confinement& confinement) {
  for (const auto* paths : {&confinement.allowed_directories, &confinement.allowed_files}) {
    for (const std::string& path : *paths) {
      if (!path.starts_with('/')) {
        return Status::InvalidArgument("allowed path '" + path + "' is not absolute");
      }
    }
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Database> database, Database::Open(options));
  // The C API cannot set list options (allowed_directories) before opening, and
  // enable_external_access=false refuses later changes of them: so these are global SETs, in
  // this order, on a first connection, before any caller's SQL. Connect() sets the session zone,
  // which a locked configuration refuses: UTC goes global first.
  std::string sql =
      "SET GLOBAL allowed_directories = " + SqlList(confinement.allowed_directories, true) +
      "; SET GLOBAL allowed_paths = " + SqlList(confinement.allowed_files, false) +
      "; SET GLOBAL enable_external_access = false;";
  if (confinement.lock_configuration) {
    sql += " SET GLOBAL TimeZone = 'UTC'; SET GLOBAL lock_configuration = true;";
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, database->Connect());
  STRATA_RETURN_IF_ERROR(connection->Execute(sql).WithContext("cannot confine the database"));
  return database;
}

bool IsConfinementError(const Status& status) {
  return status.message().find("Permission Error: ") != std::string::npos;
}

}  // namespace strata::engine
