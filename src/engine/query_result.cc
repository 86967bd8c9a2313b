// Streaming results: a QueryResult pulls one DuckDB chunk at a time (duckdb_fetch_chunk) and
// hands it out as a DataChunk with typed accessors; nothing is materialised as strings.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/internal.h"

namespace strata::engine::internal {
namespace {

using Types = std::vector<TypeInfo>;

template <typename T>
T Load(duckdb_vector vector, uint64_t row) {
  T value;
  std::memcpy(&value, static_cast<const char*>(duckdb_vector_get_data(vector)) + row * sizeof(T),
              sizeof(T));
  return value;
}

__int128 HugeValue(duckdb_vector vector, uint64_t row) {
  auto h = Load<duckdb_hugeint>(vector, row);
  return static_cast<__int128>(
      (static_cast<unsigned __int128>(static_cast<uint64_t>(h.upper)) << 64) | h.lower);
}

unsigned __int128 UHugeValue(duckdb_vector vector, uint64_t row) {
  auto h = Load<duckdb_uhugeint>(vector, row);
  return (static_cast<unsigned __int128>(h.upper) << 64) | h.lower;
}

class ChunkImpl final : public DataChunk {
 public:
  ChunkImpl(ChunkHandle chunk, std::shared_ptr<const Types> types)
      : chunk_(std::move(chunk)), types_(std::move(types)) {
    size_ = static_cast<int64_t>(duckdb_data_chunk_get_size(chunk_.get()));
    uint64_t count = duckdb_data_chunk_get_column_count(chunk_.get());
    for (uint64_t i = 0; i < count; ++i) {
      vectors_.push_back(duckdb_data_chunk_get_vector(chunk_.get(), i));
    }
  }

  int64_t size() const override { return size_; }
  int column_count() const override { return static_cast<int>(vectors_.size()); }

  bool IsNull(int column, int64_t row) const override {
    if (!InRange(column, row)) return true;
    return !CellIsValid(vectors_[column], static_cast<uint64_t>(row));
  }

  Result<int64_t> GetInt64(int column, int64_t row) const override {
    STRATA_RETURN_IF_ERROR(CheckCell(column, row));
    duckdb_vector v = vectors_[column];
    uint64_t r = static_cast<uint64_t>(row);
    const TypeInfo& type = (*types_)[column];
    switch (type.id) {
      case DUCKDB_TYPE_BOOLEAN:
        return int64_t{Load<bool>(v, r)};
      case DUCKDB_TYPE_TINYINT:
        return int64_t{Load<int8_t>(v, r)};
      case DUCKDB_TYPE_SMALLINT:
        return int64_t{Load<int16_t>(v, r)};
      case DUCKDB_TYPE_INTEGER:
        return int64_t{Load<int32_t>(v, r)};
      case DUCKDB_TYPE_BIGINT:
      case DUCKDB_TYPE_TIMESTAMP:
      case DUCKDB_TYPE_TIMESTAMP_TZ:
      case DUCKDB_TYPE_TIME:
        return Load<int64_t>(v, r);
      case DUCKDB_TYPE_UTINYINT:
        return int64_t{Load<uint8_t>(v, r)};
      case DUCKDB_TYPE_USMALLINT:
        return int64_t{Load<uint16_t>(v, r)};
      case DUCKDB_TYPE_UINTEGER:
        return int64_t{Load<uint32_t>(v, r)};
      case DUCKDB_TYPE_DATE:
        return int64_t{Load<int32_t>(v, r)};
      case DUCKDB_TYPE_TIMESTAMP_S:
        return ScaleToMicros(Load<int64_t>(v, r), 1000000, column);
      case DUCKDB_TYPE_TIMESTAMP_MS:
        return ScaleToMicros(Load<int64_t>(v, r), 1000, column);
      case DUCKDB_TYPE_TIMESTAMP_NS: {
        int64_t nanos = Load<int64_t>(v, r);
        return nanos / 1000 - (nanos % 1000 < 0 ? 1 : 0);
      }
      case DUCKDB_TYPE_UBIGINT:
        return Narrow(Load<uint64_t>(v, r), column);
      case DUCKDB_TYPE_HUGEINT:
        return Narrow(HugeValue(v, r), column);
      case DUCKDB_TYPE_UHUGEINT:
        return Narrow(UHugeValue(v, r), column);
      default:
        return Status::InvalidArgument("column " + std::to_string(column) + " is " + type.name +
                                       ", not an integer");
    }
  }

  Result<double> GetDouble(int column, int64_t row) const override {
    STRATA_RETURN_IF_ERROR(CheckCell(column, row));
    duckdb_vector v = vectors_[column];
    uint64_t r = static_cast<uint64_t>(row);
    const TypeInfo& type = (*types_)[column];
    switch (type.id) {
      case DUCKDB_TYPE_FLOAT:
        return double{Load<float>(v, r)};
      case DUCKDB_TYPE_DOUBLE:
        return Load<double>(v, r);
      case DUCKDB_TYPE_UBIGINT:
        return static_cast<double>(Load<uint64_t>(v, r));
      case DUCKDB_TYPE_HUGEINT:
        return static_cast<double>(HugeValue(v, r));
      case DUCKDB_TYPE_UHUGEINT:
        return static_cast<double>(UHugeValue(v, r));
      case DUCKDB_TYPE_DECIMAL: {
        __int128 unscaled = 0;
        switch (type.storage) {
          case DUCKDB_TYPE_SMALLINT:
            unscaled = Load<int16_t>(v, r);
            break;
          case DUCKDB_TYPE_INTEGER:
            unscaled = Load<int32_t>(v, r);
            break;
          case DUCKDB_TYPE_BIGINT:
            unscaled = Load<int64_t>(v, r);
            break;
          default:
            unscaled = HugeValue(v, r);
            break;
        }
        return static_cast<double>(unscaled) / std::pow(10.0, type.scale);
      }
      case DUCKDB_TYPE_TINYINT:
      case DUCKDB_TYPE_SMALLINT:
      case DUCKDB_TYPE_INTEGER:
      case DUCKDB_TYPE_BIGINT:
      case DUCKDB_TYPE_UTINYINT:
      case DUCKDB_TYPE_USMALLINT:
      case DUCKDB_TYPE_UINTEGER: {
        Result<int64_t> value = GetInt64(column, row);
        if (!value.ok()) return value.status();
        return static_cast<double>(*value);
      }
      default:
        return Status::InvalidArgument("column " + std::to_string(column) + " is " + type.name +
                                       ", not a number");
    }
  }

  Result<std::string> GetString(int column, int64_t row) const override {
    STRATA_RETURN_IF_ERROR(CheckCell(column, row));
    const TypeInfo& type = (*types_)[column];
    if (type.id != DUCKDB_TYPE_VARCHAR && type.id != DUCKDB_TYPE_BLOB) {
      return Status::InvalidArgument("column " + std::to_string(column) + " is " + type.name +
                                     ", not VARCHAR or BLOB");
    }
    return std::string(CellString(vectors_[column], static_cast<uint64_t>(row)));
  }

  std::string Text(int column, int64_t row) const override {
    std::string out;
    if (IsNull(column, row)) return out;
    AppendCellText((*types_)[column], vectors_[column], static_cast<uint64_t>(row), &out);
    return out;
  }

  Value GetValue(int column, int64_t row) const override {
    if (IsNull(column, row)) return std::monostate{};
    switch ((*types_)[column].id) {
      case DUCKDB_TYPE_BOOLEAN:
        return Load<bool>(vectors_[column], static_cast<uint64_t>(row));
      case DUCKDB_TYPE_TINYINT:
      case DUCKDB_TYPE_SMALLINT:
      case DUCKDB_TYPE_INTEGER:
      case DUCKDB_TYPE_BIGINT:
      case DUCKDB_TYPE_UTINYINT:
      case DUCKDB_TYPE_USMALLINT:
      case DUCKDB_TYPE_UINTEGER:
      case DUCKDB_TYPE_UBIGINT:
      case DUCKDB_TYPE_HUGEINT:
      case DUCKDB_TYPE_UHUGEINT: {
        // The wide types (SUM() returns HUGEINT) come back as int64 whenever the value fits.
        Result<int64_t> value = GetInt64(column, row);
        if (value.ok()) return *value;
        return Text(column, row);
      }
      case DUCKDB_TYPE_FLOAT:
      case DUCKDB_TYPE_DOUBLE:
        return GetDouble(column, row).value_or(std::nan(""));
      default:
        return Text(column, row);
    }
  }

 private:
  bool InRange(int column, int64_t row) const {
    return column >= 0 && column < column_count() && row >= 0 && row < size_;
  }

  Status CheckCell(int column, int64_t row) const {
    if (!InRange(column, row)) {
      return Status::InvalidArgument("cell (" + std::to_string(column) + ", " +
                                     std::to_string(row) + ") is outside a chunk of " +
                                     std::to_string(column_count()) + " columns and " +
                                     std::to_string(size_) + " rows");
    }
    if (IsNull(column, row)) {
      return Status::InvalidArgument("cell (" + std::to_string(column) + ", " +
                                     std::to_string(row) + ") is NULL");
    }
    return Status::OK();
  }

  // numeric_limits is not specialised for __int128 in strict C++20, hence the overloads.
  static Result<int64_t> Narrow(__int128 value, int column) {
    if (value > INT64_MAX || value < INT64_MIN) return TooWide(column);
    return static_cast<int64_t>(value);
  }
  static Result<int64_t> Narrow(unsigned __int128 value, int column) {
    if (value > static_cast<unsigned __int128>(INT64_MAX)) return TooWide(column);
    return static_cast<int64_t>(value);
  }
  static Result<int64_t> Narrow(uint64_t value, int column) {
    return Narrow(static_cast<unsigned __int128>(value), column);
  }
  static Status TooWide(int column) {
    return Status::InvalidArgument("column " + std::to_string(column) +
                                   ": value does not fit in a 64-bit integer");
  }

  static Result<int64_t> ScaleToMicros(int64_t value, int64_t factor, int column) {
    int64_t micros = 0;
    if (__builtin_mul_overflow(value, factor, &micros)) {
      return Status::InvalidArgument("column " + std::to_string(column) +
                                     ": timestamp out of the microsecond range");
    }
    return micros;
  }

  ChunkHandle chunk_;
  std::shared_ptr<const Types> types_;
  std::vector<duckdb_vector> vectors_;
  int64_t size_ = 0;
};

class QueryResultImpl final : public QueryResult {
 public:
  QueryResultImpl(ConnectionState* state, std::unique_ptr<OwnedResult> result)
      : state_(state), generation_(state->generation), result_(std::move(result)) {
    duckdb_result* r = result_->get();
    auto types = std::make_shared<Types>();
    uint64_t count = duckdb_column_count(r);
    for (uint64_t i = 0; i < count; ++i) {
      LogicalTypeHandle type(duckdb_column_logical_type(r, i));
      types->push_back(DescribeType(type.get()));
      const char* name = duckdb_column_name(r, i);
      columns_.push_back(
          Column{name != nullptr ? name : "", types->back().kind, types->back().name});
    }
    types_ = std::move(types);
    // Only a materialised result may be asked for its changed rows (DuckDB reads its first
    // cell); DML results always are.
    if (!duckdb_result_is_streaming(*r) &&
        duckdb_result_return_type(*r) == DUCKDB_RESULT_TYPE_CHANGED_ROWS) {
      rows_changed_ = static_cast<int64_t>(duckdb_rows_changed(r));
    }
  }

  const std::vector<Column>& columns() const override { return columns_; }
  int64_t rows_changed() const override { return rows_changed_; }

  Result<std::unique_ptr<DataChunk>> Next() override {
    if (done_) return std::unique_ptr<DataChunk>();
    if (state_->generation != generation_) {
      done_ = true;
      return Status::FailedPrecondition(
          "query result was closed: a later statement ran on the same connection before it was "
          "read to the end");
    }
    while (true) {
      ChunkHandle chunk(duckdb_fetch_chunk(*result_->get()));
      if (chunk.get() == nullptr) {
        done_ = true;
        if (duckdb_result_error(result_->get()) != nullptr) return StatusFromResult(result_->get());
        return std::unique_ptr<DataChunk>();
      }
      // DuckDB may hand out empty chunks mid-stream; callers only see non-empty ones.
      if (duckdb_data_chunk_get_size(chunk.get()) == 0) continue;
      return std::unique_ptr<DataChunk>(std::make_unique<ChunkImpl>(std::move(chunk), types_));
    }
  }

 private:
  ConnectionState* state_;
  uint64_t generation_;
  std::unique_ptr<OwnedResult> result_;
  std::vector<Column> columns_;
  std::shared_ptr<const Types> types_;
  int64_t rows_changed_ = 0;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<QueryResult>> ExecutePrepared(ConnectionState* state,
                                                     duckdb_prepared_statement statement,
                                                     bool stream) {
  ++state->generation;
  PendingHandle pending;
  duckdb_state started = stream ? duckdb_pending_prepared_streaming(statement, pending.out())
                                : duckdb_pending_prepared(statement, pending.out());
  if (started != DuckDBSuccess) {
    const char* message = duckdb_pending_error(pending.get());
    return StatusFromMessage(message != nullptr ? message : "could not start the statement");
  }
  auto result = std::make_unique<OwnedResult>();
  if (duckdb_execute_pending(pending.get(), result->get()) != DuckDBSuccess) {
    return StatusFromResult(result->get());
  }
  return std::unique_ptr<QueryResult>(std::make_unique<QueryResultImpl>(state, std::move(result)));
}

}  // namespace strata::engine::internal
