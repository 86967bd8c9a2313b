// apply_changes against an oracle: a randomized change stream (inserts, updates, deletes,
// re-inserts, repeated and late deliveries) written to a bronze Delta table in batches, applied
// after each batch, and compared with the state and history computed in C++ from every change
// delivered so far; plus the hand-made cases, bad definitions and failures before the commit.
#include "pipeline/apply_changes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>

#include "pipeline/pipeline_test_util.h"
#include "storage/delta/delta_table.h"
#include "storage/delta/scan.h"
#include "storage/delta/snapshot.h"
#include "storage/fault_object_store.h"
#include "storage/object_store.h"

namespace strata::pipeline {
namespace {

using ::testing::HasSubstr;
using History = ApplyChangesSpec::History;

// One change as the bronze table holds it. `ts` is _source_ts in seconds since 2024-01-01.
struct Change {
  std::string region;
  int64_t id = 0;
  std::string op;
  int64_t pos = 0;  // _position is "binlog.000001:<pos, 12 digits>"
  std::optional<std::string> name;
  int64_t amount = 0;
  int64_t ts = 0;
  int64_t ingested = 0;  // _ingested_at, seconds
};

std::string Position(int64_t pos) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "binlog.000001:%012lld", static_cast<long long>(pos));
  return buf;
}

std::string Ts(int64_t seconds) {
  return "TIMESTAMP '2024-01-01' + INTERVAL " + std::to_string(seconds) + " SECOND";
}

std::string ValuesSql(const std::vector<Change>& changes) {
  std::string sql;
  for (const Change& c : changes) {
    sql += (sql.empty() ? "" : " UNION ALL ") + std::string("SELECT ") +
           engine::QuoteLiteral(c.region) + " AS region, CAST(" + std::to_string(c.id) +
           " AS BIGINT) AS id, " +
           (c.name ? engine::QuoteLiteral(*c.name) : "CAST(NULL AS VARCHAR)") + " AS name, CAST(" +
           std::to_string(c.amount) + " AS BIGINT) AS amount, " + engine::QuoteLiteral(c.op) +
           " AS _op, " + engine::QuoteLiteral(Position(c.pos)) + " AS _position, " + Ts(c.ts) +
           " AS _source_ts, CAST(" + std::to_string(c.pos / 3) + " AS BIGINT) AS _tx, " +
           Ts(c.ingested) + " AS _ingested_at";
  }
  return sql;
}

int OpRank(const std::string& op) { return op == "r" ? 0 : op == "c" ? 1 : op == "u" ? 2 : 3; }

std::string Cell(const std::optional<std::string>& v) { return v ? *v : "NULL"; }

// The oracle: changes of each key by position; a repeat of (key, position) counts once (the
// highest op; the generator repeats changes whole, so which copy does not matter).
std::map<std::pair<std::string, int64_t>, std::vector<Change>> ByKey(
    const std::vector<Change>& log) {
  std::map<std::pair<std::string, int64_t>, std::vector<Change>> keys;
  for (const Change& c : log) keys[{c.region, c.id}].push_back(c);
  for (auto& [key, list] : keys) {
    std::sort(list.begin(), list.end(), [](const Change& a, const Change& b) {
      return a.pos != b.pos ? a.pos < b.pos : OpRank(a.op) < OpRank(b.op);
    });
    std::vector<Change> unique;
    for (const Change& c : list) {
      if (!unique.empty() && unique.back().pos == c.pos) unique.pop_back();
      unique.push_back(c);
    }
    list = std::move(unique);
  }
  return keys;
}

// Rows as "region|id|name|amount|_source_ts seconds", sorted.
std::vector<std::string> ExpectedScd1(const std::vector<Change>& log) {
  std::vector<std::string> rows;
  for (const auto& [key, list] : ByKey(log)) {
    const Change& last = list.back();
    if (last.op == "d") continue;
    rows.push_back(last.region + "|" + std::to_string(last.id) + "|" + Cell(last.name) + "|" +
                   std::to_string(last.amount) + "|" + std::to_string(last.ts));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// scd2 rows: "...|_position|_valid_from|_valid_to|_is_current", sorted.
std::vector<std::string> ExpectedScd2(const std::vector<Change>& log) {
  std::vector<std::string> rows;
  for (const auto& [key, list] : ByKey(log)) {
    for (size_t i = 0; i < list.size(); ++i) {
      const Change& c = list[i];
      if (c.op == "d") continue;
      const bool current = i + 1 == list.size();
      rows.push_back(c.region + "|" + std::to_string(c.id) + "|" + Cell(c.name) + "|" +
                     std::to_string(c.amount) + "|" + std::to_string(c.ts) + "|" + Position(c.pos) +
                     "|" + std::to_string(c.ts) + "|" +
                     (current ? "NULL" : std::to_string(list[i + 1].ts)) + "|" +
                     (current ? "true" : "false"));
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

class ApplyChangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::OpenObjectStore(dir_.path() + "/lake");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    local_ = *store;
    store_ = local_;
  }

  // Appends `batch` to bronze.orders as one Delta version.
  void Deliver(const std::vector<Change>& batch) {
    delta::DeltaTable bronze(local_, "bronze/orders", *duck_.conn);
    Result<delta::CommitResult> done = bronze.Load().ok()
                                           ? bronze.Append(ValuesSql(batch))
                                           : bronze.Create({.as_select = ValuesSql(batch)});
    ASSERT_TRUE(done.ok()) << done.status().ToString();
    delivered_.insert(delivered_.end(), batch.begin(), batch.end());
  }

  ApplyChangesRequest Request(const std::string& target, History history,
                              std::vector<std::string> key = {"region", "id"}) {
    ApplyChangesRequest r;
    r.store = store_;
    r.source_name = "bronze.orders";
    r.source_root = "bronze/orders";
    r.target_name = "silver." + target;
    r.target_root = "silver/" + target;
    r.key = std::move(key);
    r.spec.history = history;
    r.spec.key_where = {"models/silver/" + target + ".sql", 3, 6};
    r.spec.sequence_where = {"models/silver/" + target + ".sql", 2, 15};
    r.model_file = "models/silver/" + target + ".sql";
    r.definition = "SELECT * FROM bronze.orders";
    r.changes_sql = [](const std::string& rel) -> Result<std::string> {
      return "SELECT * FROM " + rel + " AS o";
    };
    return r;
  }

  ApplyChangesResult Apply(const ApplyChangesRequest& r) {
    Result<ApplyChangesResult> done = ApplyChanges(*duck_.conn, r);
    EXPECT_TRUE(done.ok()) << done.status().ToString();
    return done.ok() ? *done : ApplyChangesResult{};
  }

  // The table's rows in the oracle's spelling.
  std::vector<std::string> Rows(const std::string& target, History history) {
    auto snap = delta::LoadSnapshot(*local_, "silver/" + target);
    EXPECT_TRUE(snap.ok()) << snap.status().ToString();
    if (!snap.ok()) return {};
    auto plan = delta::PlanScan(*snap, *local_, *duck_.conn);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    auto secs = [](const std::string& col) {
      return "coalesce(CAST(epoch(" + col +
             ") - epoch(TIMESTAMP '2024-01-01') AS BIGINT)::VARCHAR, "
             "'NULL')";
    };
    std::string cols =
        "region || '|' || id || '|' || coalesce(name, 'NULL') || '|' || amount || "
        "'|' || " +
        secs("_source_ts");
    if (history == History::kScd2) {
      cols += " || '|' || _position || '|' || " + secs("_valid_from") + " || '|' || " +
              secs("_valid_to") + " || '|' || _is_current";
    }
    auto rows = duck_.conn->QueryRows("SELECT " + cols + " FROM (" + plan->sql() + ") ORDER BY 1");
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    for (const auto& row : *rows) out.push_back(std::get<std::string>(row[0]));
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<std::string> Expected(History history) {
    return history == History::kScd1 ? ExpectedScd1(delivered_) : ExpectedScd2(delivered_);
  }

  testing::ScratchProject dir_;
  testing::Duck duck_ = testing::OpenDuck();
  std::shared_ptr<storage::ObjectStore> local_;
  std::shared_ptr<storage::ObjectStore> store_;  // what ApplyChanges writes through
  std::vector<Change> delivered_;
};

// A random stream: `keys` keys in two regions, each change at the next position; a delivery
// holds some changes back to a later batch (late) and repeats some delivered ones.
std::vector<std::vector<Change>> RandomBatches(uint32_t seed, int keys, int changes, int batches) {
  std::mt19937 rng(seed);
  std::map<int, bool> alive;
  std::vector<Change> log;
  for (int i = 0; i < changes; ++i) {
    const int k = static_cast<int>(rng() % keys);
    Change c;
    c.region = k % 2 ? "north" : "south";
    c.id = k / 2;
    c.pos = 10 + i;
    c.ts = i / 3;  // several changes share a second, as binlog timestamps do
    c.amount = static_cast<int64_t>(rng() % 1000);
    if (rng() % 7 != 0) c.name = "n" + std::to_string(rng() % 50);
    if (!alive[k]) {
      c.op = i < changes / 5 ? "r" : "c";
      alive[k] = true;
    } else if (rng() % 4 == 0) {
      c.op = "d";
      alive[k] = false;
    } else {
      c.op = "u";
    }
    log.push_back(c);
  }
  std::vector<std::vector<Change>> out(batches);
  std::vector<Change> held;
  for (size_t i = 0; i < log.size(); ++i) {
    size_t b = i * batches / log.size();
    Change c = log[i];
    c.ingested = static_cast<int64_t>(b) * 100;
    if (b + 1 < out.size() && rng() % 10 == 0) {  // late: arrives one or more batches later
      b += 1 + rng() % (out.size() - b - 1);
      c.ingested = static_cast<int64_t>(b) * 100;
    }
    out[b].push_back(c);
    if (rng() % 12 == 0) {  // delivered again later (at-least-once)
      size_t again = std::min(out.size() - 1, b + rng() % 3);
      Change dup = c;
      dup.ingested = static_cast<int64_t>(again) * 100 + 1;
      out[again].push_back(dup);
    }
  }
  return out;
}

TEST_F(ApplyChangesTest, Scd1RandomStreamInIncrementsEqualsOracleAndOneFullApply) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    delivered_.clear();
    SetUp();
    const std::string target = "s1_" + std::to_string(seed);
    std::vector<std::vector<Change>> batches = RandomBatches(seed, 40, 400, 6);
    int64_t late = 0;
    for (size_t b = 0; b < batches.size(); ++b) {
      Deliver(batches[b]);
      ApplyChangesResult r = Apply(Request(target, History::kScd1));
      EXPECT_EQ(r.full, b == 0);
      late += r.late_keys;
      EXPECT_EQ(Rows(target, History::kScd1), Expected(History::kScd1)) << "after batch " << b;
    }
    EXPECT_GT(late, 0) << "the stream should have had late changes";
    ApplyChangesResult once = Apply(Request(target + "_once", History::kScd1));
    EXPECT_TRUE(once.full);
    EXPECT_EQ(Rows(target + "_once", History::kScd1), Rows(target, History::kScd1));
    local_ = nullptr;
    (void)std::filesystem::remove_all(dir_.path() + "/lake");
  }
}

TEST_F(ApplyChangesTest, Scd2RandomStreamInIncrementsEqualsOracleAndOneFullApply) {
  for (uint32_t seed : {4u, 5u, 6u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    delivered_.clear();
    SetUp();
    const std::string target = "s2_" + std::to_string(seed);
    std::vector<std::vector<Change>> batches = RandomBatches(seed, 30, 300, 6);
    for (size_t b = 0; b < batches.size(); ++b) {
      Deliver(batches[b]);
      Apply(Request(target, History::kScd2));
      EXPECT_EQ(Rows(target, History::kScd2), Expected(History::kScd2)) << "after batch " << b;
    }
    Apply(Request(target + "_once", History::kScd2));
    EXPECT_EQ(Rows(target + "_once", History::kScd2), Rows(target, History::kScd2));
    local_ = nullptr;
    (void)std::filesystem::remove_all(dir_.path() + "/lake");
  }
}

Change Make(int64_t id, const std::string& op, int64_t pos, std::optional<std::string> name,
            int64_t amount, const std::string& region = "south") {
  Change c;
  c.region = region;
  c.id = id;
  c.op = op;
  c.pos = pos;
  c.name = std::move(name);
  c.amount = amount;
  c.ts = pos;
  return c;
}

TEST_F(ApplyChangesTest, DeletesAndReinsertedKeysByHand) {
  Deliver({Make(1, "r", 1, "a", 10), Make(2, "r", 2, "b", 20), Make(3, "r", 3, "c", 30)});
  Apply(Request("h1", History::kScd1));
  Apply(Request("h2", History::kScd2));
  Deliver({Make(1, "u", 4, "a2", 11), Make(2, "d", 5, "b", 20), Make(1, "d", 6, "a2", 11),
           Make(1, "c", 7, "a3", 12)});
  ApplyChangesResult r1 = Apply(Request("h1", History::kScd1));
  EXPECT_FALSE(r1.full);
  EXPECT_EQ(r1.from_version, 1);
  EXPECT_EQ(r1.changes, 4);
  EXPECT_EQ(Rows("h1", History::kScd1),
            (std::vector<std::string>{"south|1|a3|12|7", "south|3|c|30|3"}));
  Apply(Request("h2", History::kScd2));
  EXPECT_EQ(Rows("h2", History::kScd2),
            (std::vector<std::string>{"south|1|a2|11|4|binlog.000001:000000000004|4|6|false",
                                      "south|1|a3|12|7|binlog.000001:000000000007|7|NULL|true",
                                      "south|1|a|10|1|binlog.000001:000000000001|1|4|false",
                                      "south|2|b|20|2|binlog.000001:000000000002|2|5|false",
                                      "south|3|c|30|3|binlog.000001:000000000003|3|NULL|true"}));
}

TEST_F(ApplyChangesTest, RepeatedAndLateChangesResolvedBySequence) {
  Deliver({Make(1, "c", 1, "a", 10), Make(1, "u", 5, "newest", 50), Make(2, "c", 2, "b", 20),
           Make(2, "d", 9, "b", 20)});
  Apply(Request("late", History::kScd1));
  // Repeats of applied changes, older updates of both keys, and a new key: only the new key
  // changes anything (the older update of deleted key 2 must not bring it back).
  Deliver({Make(1, "u", 5, "newest", 50), Make(1, "u", 3, "older", 30), Make(2, "u", 4, "old", 40),
           Make(3, "c", 10, "x", 60)});
  ApplyChangesResult r = Apply(Request("late", History::kScd1));
  EXPECT_EQ(r.late_keys, 2);
  EXPECT_EQ(Rows("late", History::kScd1),
            (std::vector<std::string>{"south|1|newest|50|5", "south|3|x|60|10"}));
  EXPECT_EQ(Rows("late", History::kScd1), Expected(History::kScd1));
  // Nothing new in the source: nothing read, nothing committed.
  auto before = delta::LatestVersion(*local_, "silver/late");
  ApplyChangesResult again = Apply(Request("late", History::kScd1));
  EXPECT_TRUE(again.up_to_date);
  EXPECT_EQ(*delta::LatestVersion(*local_, "silver/late"), *before);
}

TEST_F(ApplyChangesTest, SingleColumnKeyAndDefaultColumns) {
  Deliver({Make(1, "c", 1, "a", 10), Make(2, "c", 2, "b", 20)});
  Apply(Request("single", History::kScd1, {"id"}));
  auto snap = delta::LoadSnapshot(*local_, "silver/single");
  ASSERT_TRUE(snap.ok());
  std::vector<std::string> names;
  for (const auto& f : snap->schema.fields) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"region", "id", "name", "amount", "_source_ts"}));
  // The txn names the source table and the version applied.
  bool found = false;
  for (const auto& [app, version] : snap->app_versions) {
    if (app.rfind("apply_changes:bronze.orders:", 0) == 0) found = version == 0;
  }
  EXPECT_TRUE(found);
}

TEST_F(ApplyChangesTest, BadDefinitionsNameTheModelFileAndField) {
  Deliver({Make(1, "c", 1, "a", 10)});
  auto fails = [&](ApplyChangesRequest r) {
    Result<ApplyChangesResult> done = ApplyChanges(*duck_.conn, r);
    EXPECT_FALSE(done.ok());
    return done.ok() ? std::string() : done.status().message();
  };
  EXPECT_THAT(fails(Request("bad", History::kScd1, {"region", "idd"})),
              HasSubstr("models/silver/bad.sql:3:6: key: column 'idd' is not a column of the "
                        "changes read from bronze.orders (columns: region, id, name"));
  ApplyChangesRequest seq = Request("bad", History::kScd1);
  seq.spec.sequence_by = "_lsn";
  EXPECT_THAT(fails(seq), HasSubstr("models/silver/bad.sql:2:15: sequence_by: column '_lsn'"));
  ApplyChangesRequest except = Request("bad", History::kScd1);
  except.spec.except_columns = std::vector<std::string>{"_opp"};
  EXPECT_THAT(fails(except), HasSubstr("except_columns: column '_opp'"));
  ApplyChangesRequest no_op = Request("bad", History::kScd1);
  no_op.changes_sql = [](const std::string& rel) -> Result<std::string> {
    return "SELECT * EXCLUDE (_op) FROM " + rel;
  };
  EXPECT_THAT(fails(no_op), HasSubstr("models/silver/bad.sql: apply_changes needs the change kind "
                                      "in a column _op"));
  ApplyChangesRequest bad_op = Request("bad", History::kScd1);
  bad_op.changes_sql = [](const std::string& rel) -> Result<std::string> {
    return "SELECT * REPLACE ('x' AS _op) FROM " + rel;
  };
  EXPECT_THAT(fails(bad_op), HasSubstr("_op is 'x' in the changes read from bronze.orders"));
  ApplyChangesRequest null_key = Request("bad", History::kScd1);
  null_key.changes_sql = [](const std::string& rel) -> Result<std::string> {
    return "SELECT * REPLACE (CAST(NULL AS BIGINT) AS id) FROM " + rel;
  };
  EXPECT_THAT(fails(null_key), HasSubstr("models/silver/bad.sql:3:6: key: a key column is NULL"));
  // Nothing was created by any of them.
  EXPECT_TRUE(delta::LoadSnapshot(*local_, "silver/bad").status().IsNotFound());
}

TEST_F(ApplyChangesTest, DefinitionChangeRebuilds) {
  Deliver({Make(1, "c", 1, "a", 10)});
  Apply(Request("def", History::kScd1));
  Deliver({Make(1, "u", 2, "b", 20)});
  ApplyChangesRequest r = Request("def", History::kScd1);
  r.definition = "SELECT *, 1 AS extra FROM bronze.orders";
  ApplyChangesResult done = Apply(r);
  EXPECT_TRUE(done.full);
  EXPECT_EQ(done.full_reason, "the model's definition changed");
  EXPECT_EQ(Rows("def", History::kScd1), Expected(History::kScd1));
}

// Fails the n-th commit from now and its retries (a commit retries I/O errors a few times).
void FailCommitsFrom(storage::FaultInjectingObjectStore& fault, int n) {
  for (int i = n; i < n + 10; ++i) fault.FailNthCall(i, storage::FaultOp::kPutIfAbsent);
}

// A failure after the changes were read and the files written, before the commit: nothing is
// applied; the next run applies the same changes once.
TEST_F(ApplyChangesTest, FailureBeforeCommitAppliesNothingThenExactlyOnce) {
  for (History history : {History::kScd1, History::kScd2}) {
    const std::string target = history == History::kScd1 ? "crash1" : "crash2";
    delivered_.clear();
    SetUp();
    auto fault = std::make_shared<storage::FaultInjectingObjectStore>(local_);
    store_ = fault;
    std::vector<std::vector<Change>> batches = RandomBatches(7, 20, 200, 4);
    Deliver(batches[0]);
    // First run: the table's creation fails, then its state-recording commit fails.
    for (int n : {1, 2}) {
      FailCommitsFrom(*fault, n);
      EXPECT_FALSE(ApplyChanges(*duck_.conn, Request(target, history)).ok());
      fault->Reset();
    }
    Apply(Request(target, history));
    EXPECT_EQ(Rows(target, history), Expected(history));
    for (size_t b = 1; b < batches.size(); ++b) {
      Deliver(batches[b]);
      auto before = delta::LoadSnapshot(*local_, "silver/" + target);
      ASSERT_TRUE(before.ok());
      FailCommitsFrom(*fault, 1);
      EXPECT_FALSE(ApplyChanges(*duck_.conn, Request(target, history)).ok());
      fault->Reset();
      auto after = delta::LoadSnapshot(*local_, "silver/" + target);
      EXPECT_EQ(after->version, before->version) << "a failed run committed";
      ApplyChangesResult r = Apply(Request(target, history));
      EXPECT_FALSE(r.full);
      EXPECT_EQ(Rows(target, history), Expected(history)) << "batch " << b;
      // A response lost after the commit landed: the run is settled, the next one is a no-op.
      Deliver(
          {Make(1000 + static_cast<int64_t>(b), "c", 100000 + static_cast<int64_t>(b), "z", 1)});
      fault->FailNthCall(1, storage::FaultOp::kPutIfAbsent, Status::IOError("lost response"),
                         storage::FaultTiming::kAfterCall);
      (void)ApplyChanges(*duck_.conn, Request(target, history));
      fault->Reset();
      ApplyChangesResult settled = Apply(Request(target, history));
      EXPECT_TRUE(settled.up_to_date || !settled.full);
      EXPECT_EQ(Rows(target, history), Expected(history)) << "batch " << b;
    }
    local_ = nullptr;
    store_ = nullptr;
    (void)std::filesystem::remove_all(dir_.path() + "/lake");
  }
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Cost: a full build over N snapshot rows against an increment of N/100 changes (updates spread
// over the whole key range, deletes, inserts), for both histories. 20,000 rows by default so it
// runs in every test pass; APPLY_BENCH_ROWS=1000000 for the measured case.
TEST_F(ApplyChangesTest, IncrementCostFollowsTheChangesNotTheTable) {
  const int64_t n =
      std::getenv("APPLY_BENCH_ROWS") ? std::atoll(std::getenv("APPLY_BENCH_ROWS")) : 20000;
  const int64_t c = std::max<int64_t>(n / 100, 10);
  const std::string cols = "'south' AS region, id, 'name' || id AS name, id % 1000 AS amount, ";
  const std::string tail =
      " AS _source_ts, CAST(0 AS BIGINT) AS _tx, TIMESTAMP '2024-01-02' AS _ingested_at";
  delta::DeltaTable bronze(local_, "bronze/orders", *duck_.conn);
  ASSERT_TRUE(bronze
                  .Create({.as_select = "SELECT " + cols +
                                        "'r' AS _op, printf('binlog.000001:%012d', id) AS "
                                        "_position, TIMESTAMP '2024-01-01'" +
                                        tail + " FROM (SELECT range AS id FROM range(" +
                                        std::to_string(n) + "))"})
                  .ok());
  // Change i touches key (i * 7919) % n: updates, every 10th a delete, plus c/10 new keys.
  const std::string changes =
      "SELECT " + cols + "CASE WHEN id >= " + std::to_string(n) +
      " THEN 'c' WHEN i % 10 = 0 THEN 'd' ELSE 'u' END "
      "AS _op, printf('binlog.000002:%012d', i) AS _position, TIMESTAMP '2024-01-03'" +
      tail + " FROM (SELECT range AS i, CASE WHEN range < " + std::to_string(c) +
      " THEN (range * 7919) % " + std::to_string(n) + " ELSE " + std::to_string(n) +
      " + range END AS id FROM range(" + std::to_string(c + c / 10) + "))";
  const std::vector<History> histories = {History::kScd1, History::kScd2};
  std::map<History, double> full_s;
  for (History history : histories) {
    auto start = std::chrono::steady_clock::now();
    ApplyChangesResult full =
        Apply(Request(history == History::kScd1 ? "cost1" : "cost2", history));
    full_s[history] = Seconds(start);
    EXPECT_TRUE(full.full);
    EXPECT_EQ(full.changes, n);
  }
  ASSERT_TRUE(bronze.Append(changes).ok());
  for (History history : histories) {
    const std::string target = history == History::kScd1 ? "cost1" : "cost2";
    auto start = std::chrono::steady_clock::now();
    ApplyChangesResult inc = Apply(Request(target, history));
    const double inc_s = Seconds(start);
    EXPECT_FALSE(inc.full);
    EXPECT_EQ(inc.changes, c + c / 10);  // only the new version was read
    std::printf(
        "apply_changes %s: full build %lld rows in %.2f s (%.0f rows/s); increment %lld "
        "changes in %.2f s (%.0f changes/s, %.1f%% of the full build)\n",
        history == History::kScd1 ? "scd1" : "scd2", static_cast<long long>(n), full_s[history],
        static_cast<double>(n) / full_s[history], static_cast<long long>(inc.changes), inc_s,
        static_cast<double>(inc.changes) / inc_s, 100.0 * inc_s / full_s[history]);
    auto rows = engine::QueryInt64(
        *duck_.conn,
        "SELECT count(*) FROM (" +
            delta::PlanScan(*delta::LoadSnapshot(*local_, "silver/" + target), *local_, *duck_.conn)
                ->sql() +
            ")");
    ASSERT_TRUE(rows.ok());
    // scd1: n - deletes + inserts; scd2: n + updates + inserts.
    EXPECT_EQ(*rows, history == History::kScd1 ? n - c / 10 + c / 10 : n + (c - c / 10) + c / 10);
  }
}

}  // namespace
}  // namespace strata::pipeline
