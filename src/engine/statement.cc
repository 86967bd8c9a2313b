// The two ways values go into DuckDB: prepared-statement parameters (bound by C++ type; DuckDB
// casts them to the parameter's type when the statement runs) and the Appender, DuckDB's bulk
// row insert. The appender uses DuckDB's typed appends for booleans, integers and doubles (it
// casts to the column type); strings go in as VARCHAR/BLOB bytes when the column is VARCHAR/BLOB
// and otherwise through a VARCHAR value that DuckDB casts to the column's type, so
// "2024-01-31", "12.50" or "[1, 2]" fill DATE, DECIMAL and LIST columns.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "engine/internal.h"

namespace strata::engine::internal {
namespace {

std::string DescribeValue(const Value& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "NULL"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return FormatDouble(d); }
    std::string operator()(const std::string& s) const { return QuoteLiteral(s); }
  };
  return std::visit(Visitor{}, value);
}

class PreparedStatementImpl final : public PreparedStatement {
 public:
  PreparedStatementImpl(ConnectionState* state, PreparedHandle statement)
      : state_(state), statement_(std::move(statement)) {}

  int parameter_count() const override {
    return static_cast<int>(duckdb_nparams(statement_.get()));
  }

  Status Bind(int index, const Value& value) override {
    if (index < 1 || index > parameter_count()) {
      return Status::InvalidArgument("parameter index " + std::to_string(index) +
                                     " is out of range: the statement has " +
                                     std::to_string(parameter_count()) + " parameter(s)");
    }
    duckdb_prepared_statement s = statement_.get();
    uint64_t i = static_cast<uint64_t>(index);
    duckdb_state state = DuckDBError;
    if (std::holds_alternative<std::monostate>(value)) {
      state = duckdb_bind_null(s, i);
    } else if (const bool* b = std::get_if<bool>(&value)) {
      state = duckdb_bind_boolean(s, i, *b);
    } else if (const int64_t* n = std::get_if<int64_t>(&value)) {
      state = duckdb_bind_int64(s, i, *n);
    } else if (const double* d = std::get_if<double>(&value)) {
      state = duckdb_bind_double(s, i, *d);
    } else {
      const std::string& text = std::get<std::string>(value);
      state = duckdb_bind_varchar_length(s, i, text.data(), text.size());
    }
    if (state != DuckDBSuccess) {
      LogicalTypeHandle type(duckdb_param_logical_type(s, i));
      std::string type_name = type.get() != nullptr ? DescribeType(type.get()).name : "unknown";
      return Status::InvalidArgument("cannot bind " + DescribeValue(value) + " to parameter " +
                                     std::to_string(index) + " of type " + type_name);
    }
    return Status::OK();
  }

  Status ClearBindings() override {
    if (duckdb_clear_bindings(statement_.get()) != DuckDBSuccess) {
      return Status::Internal("could not clear the bindings of a prepared statement");
    }
    return Status::OK();
  }

  Result<std::unique_ptr<QueryResult>> Execute() override {
    return ExecutePrepared(state_, statement_.get(), /*stream=*/true);
  }

 private:
  ConnectionState* state_;
  PreparedHandle statement_;
};

class AppenderImpl final : public Appender {
 public:
  AppenderImpl(AppenderHandle appender, std::string table)
      : appender_(std::move(appender)), table_(std::move(table)) {
    uint64_t count = duckdb_appender_column_count(appender_.get());
    for (uint64_t i = 0; i < count; ++i) {
      LogicalTypeHandle type(duckdb_appender_column_type(appender_.get(), i));
      column_types_.push_back(duckdb_get_type_id(type.get()));
    }
  }

  Status AppendNull() override { return Append(Value{}); }

  Status Append(const Value& value) override {
    STRATA_RETURN_IF_ERROR(CheckOpen());
    duckdb_appender a = appender_.get();
    duckdb_state state = DuckDBError;
    if (std::holds_alternative<std::monostate>(value)) {
      state = duckdb_append_null(a);
    } else if (const bool* b = std::get_if<bool>(&value)) {
      state = duckdb_append_bool(a, *b);
    } else if (const int64_t* n = std::get_if<int64_t>(&value)) {
      state = duckdb_append_int64(a, *n);
    } else if (const double* d = std::get_if<double>(&value)) {
      state = duckdb_append_double(a, *d);
    } else {
      state = AppendText(std::get<std::string>(value));
    }
    if (state == DuckDBSuccess) ++column_;
    return Check(state, "append to column " + std::to_string(column_ + 1));
  }

  Status EndRow() override {
    STRATA_RETURN_IF_ERROR(CheckOpen());
    column_ = 0;
    return Check(duckdb_appender_end_row(appender_.get()), "end row");
  }

  Status Flush() override {
    STRATA_RETURN_IF_ERROR(CheckOpen());
    return Check(duckdb_appender_flush(appender_.get()), "flush");
  }

  Status Close() override {
    if (closed_) return Status::OK();
    closed_ = true;
    return Check(duckdb_appender_close(appender_.get()), "close");
  }

 private:
  duckdb_state AppendText(const std::string& text) {
    duckdb_appender a = appender_.get();
    duckdb_type column_type =
        column_ < column_types_.size() ? column_types_[column_] : DUCKDB_TYPE_VARCHAR;
    if (column_type == DUCKDB_TYPE_VARCHAR) {
      return duckdb_append_varchar_length(a, text.data(), text.size());
    }
    if (column_type == DUCKDB_TYPE_BLOB) return duckdb_append_blob(a, text.data(), text.size());
    ValueHandle boxed(duckdb_create_varchar_length(text.data(), text.size()));
    return duckdb_append_value(a, boxed.get());
  }

  Status CheckOpen() const {
    if (closed_) return Status::FailedPrecondition("appender for " + table_ + " is closed");
    return Status::OK();
  }

  Status Check(duckdb_state state, const std::string& what) {
    if (state == DuckDBSuccess) return Status::OK();
    ErrorDataHandle error(duckdb_appender_error_data(appender_.get()));
    const char* message = error.get() != nullptr ? duckdb_error_data_message(error.get()) : nullptr;
    duckdb_error_type type =
        error.get() != nullptr ? duckdb_error_data_error_type(error.get()) : DUCKDB_ERROR_INVALID;
    Status status = type == DUCKDB_ERROR_INVALID
                        ? StatusFromMessage(message != nullptr ? message : "appender failed",
                                            StatusCode::kInvalidArgument)
                        : StatusFromError(type, message != nullptr ? message : "");
    return status.WithContext("appender for " + table_ + ": " + what);
  }

  AppenderHandle appender_;
  std::string table_;
  std::vector<duckdb_type> column_types_;
  size_t column_ = 0;  // the next column of the current row
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<PreparedStatement> MakePreparedStatement(ConnectionState* state,
                                                         PreparedHandle statement) {
  return std::make_unique<PreparedStatementImpl>(state, std::move(statement));
}

Result<std::unique_ptr<Appender>> MakeAppender(ConnectionState* state, std::string_view schema,
                                               std::string_view table) {
  std::string schema_name(schema);
  std::string table_name(table);
  std::string display = schema_name.empty() ? table_name : schema_name + "." + table_name;
  AppenderHandle appender;
  if (duckdb_appender_create_ext(state->connection.get(), nullptr,
                                 schema_name.empty() ? nullptr : schema_name.c_str(),
                                 table_name.c_str(), appender.out()) != DuckDBSuccess) {
    ErrorDataHandle error(duckdb_appender_error_data(appender.get()));
    if (error.get() != nullptr && duckdb_error_data_has_error(error.get())) {
      return StatusFromError(duckdb_error_data_error_type(error.get()),
                             duckdb_error_data_message(error.get()));
    }
    return Status::InvalidArgument("cannot create an appender for table " + display);
  }
  return std::unique_ptr<Appender>(std::make_unique<AppenderImpl>(std::move(appender), display));
}

}  // namespace strata::engine::internal
