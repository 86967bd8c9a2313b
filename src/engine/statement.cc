// Prepared statements: parameter binding by C++ type; DuckDB casts a bound value to the
// parameter's type when the statement runs.
#include <memory>
#include <string>
#include <utility>
#include <variant>

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

}  // namespace

std::unique_ptr<PreparedStatement> MakePreparedStatement(ConnectionState* state,
                                                         PreparedHandle statement) {
  return std::make_unique<PreparedStatementImpl>(state, std::move(statement));
}

}  // namespace strata::engine::internal
