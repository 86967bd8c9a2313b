// DeltaTable::Stage and StagedWrite: write-audit-publish. The rows are written once, as the
// table's own data files; testing reads those files and publishing is a log commit only.
#include "storage/delta/delta_table.h"
#include "storage/delta/table_ops.h"
#include "storage/delta/write_schema.h"

namespace strata::delta {

StagedWrite::StagedWrite(Key /*key*/, std::shared_ptr<storage::ObjectStore> store, Schema schema,
                         WrittenFiles files, std::string temp_dir)
    : store_(std::move(store)),
      schema_(std::move(schema)),
      files_(std::move(files)),
      local_(std::make_unique<LocalFiles>(std::move(temp_dir))) {}

StagedWrite::~StagedWrite() {
  if (!consumed_) DeleteUncommittedFiles(*store_, files_.keys);
}

Result<std::unique_ptr<StagedWrite>> DeltaTable::Stage(std::string_view select_sql) {
  const std::string what = "Delta table '" + root_ + "'";
  STRATA_ASSIGN_OR_RETURN(std::vector<engine::Column> source, QueryColumns(conn_, select_sql));
  STRATA_ASSIGN_OR_RETURN(Schema schema, SchemaFromColumns(source, what));
  STRATA_ASSIGN_OR_RETURN(WritePlan plan, PlanWrite(schema, {}, source, false, root_));
  DataWriteOptions wo;
  wo.clock = options_.clock;
  wo.temp_dir = options_.temp_dir;
  STRATA_ASSIGN_OR_RETURN(WrittenFiles files,
                          WriteDataFiles(conn_, *store_, root_, schema, {},
                                         "SELECT " + plan.projection + " FROM (" +
                                             std::string(select_sql) + ") AS __strata_src",
                                         wo));
  // Owned from here: an error below deletes the files with the object.
  auto staged = std::make_unique<StagedWrite>(StagedWrite::Key(), store_, std::move(schema),
                                              std::move(files), options_.temp_dir);
  if (staged->files_.keys.empty()) {
    // No rows, no file: an empty relation of the same columns.
    std::string columns;
    for (const StructField& f : staged->schema_.fields) {
      columns += std::string(columns.empty() ? "" : ", ") + "CAST(NULL AS " + ToSqlType(f.type) +
                 ") AS " + engine::QuoteIdentifier(f.name);
    }
    staged->read_sql_ = "(SELECT " + columns + " LIMIT 0)";
    return staged;
  }
  std::string paths;
  for (const std::string& key : staged->files_.keys) {
    STRATA_ASSIGN_OR_RETURN(std::string path, staged->local_->PathFor(*store_, key));
    paths += std::string(paths.empty() ? "" : ", ") + engine::QuoteLiteral(path);
  }
  staged->read_sql_ = "read_parquet([" + paths + "])";
  return staged;
}

}  // namespace strata::delta
