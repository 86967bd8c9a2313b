#include "ingest/mysql/source.h"

#include <gtest/gtest.h>

#include "ingest/mysql/mysql_test_util.h"

namespace strata::ingest::mysql {
namespace {

using testing::MariaDbTestServer;
using testing::MysqlSourceTest;

constexpr char kAllTypes[] =
    "CREATE TABLE types (id INT PRIMARY KEY, ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, "
    "siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, "
    "bi BIGINT, biu BIGINT UNSIGNED, d DECIMAL(10,2), d2 DECIMAL(30,12), d3 DECIMAL(5,0), "
    "f FLOAT, db DOUBLE, dt DATE, dtm DATETIME, dtm6 DATETIME(6), ts TIMESTAMP NULL, "
    "ts3 TIMESTAMP(3) NULL, tm TIME, tm2 TIME(2), tm6 TIME(6), y YEAR, c CHAR(5), "
    "vc VARCHAR(300), tx TEXT, bn BINARY(4), vb VARBINARY(10), bl BLOB, "
    "e ENUM('pendente','pago','cancelado'), st SET('a','b','c'), b1 BIT(1), b12 BIT(12), "
    "b64 BIT(64), j JSON)";

constexpr char kRowA[] =
    "(1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, "
    "-9223372036854775808, 18446744073709551615, -12345678.90, "
    "-123456789012345678.123456789012, 99999, 1.5, -2.25e-300, '2024-02-29', "
    "'1999-12-31 23:59:59', '2024-01-02 03:04:05.123456', '2038-01-19 03:14:07', "
    "'2001-02-03 04:05:06.789', '-838:59:59', '12:34:56.78', '-00:00:01.000001', 2155, 'ab', "
    "'ção ✓ 😀', REPEAT('x', 300), X'00FF', X'01', X'DEADBEEF', 'pago', 'a,c', b'1', "
    "b'101010101010', 18446744073709551615, '{\"k\": [1, 2]}')";

constexpr char kRowNulls[] =
    "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, NULL, NULL, NULL, NULL, NULL, NULL)";

constexpr char kRowZeros[] =
    "(3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '0000-00-00', '0000-00-00 00:00:00', "
    "'2024-01-01 00:00:00.000001', '1970-01-01 00:00:01', '2024-06-30 12:00:00.5', '00:00:00', "
    "'838:59:59.99', '00:00:00.5', 0, '', '', '', '', '', '', '', '', b'0', b'0', 0, 'null')";

class SourceTest : public MysqlSourceTest {
 protected:
  // Rows of `a` not in `b` plus rows of `b` not in `a`.
  int64_t Difference(const std::string& a, const std::string& b) {
    return Count("(" + a + " EXCEPT ALL " + b + ") UNION ALL (" + b + " EXCEPT ALL " + a + ")");
  }
};

TEST_F(SourceTest, SnapshotThenBinlogGiveTheSameValuesForEveryType) {
  Sql("SET sql_mode = ''");
  Sql(kAllTypes);
  Sql(std::string("INSERT INTO types VALUES ") + kRowA);
  MysqlSource cdc(*lake_, *conn_, Spec({"types"}), StateDir());
  auto first = cdc.Sync(nullptr, {});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->snapshot_rows, 1);

  // Changes through the binlog: the NULL row, the zero row (sql_mode '' allows zero dates),
  // an update of every column of row 1 and a copy of row 1 under a new key.
  auto client = Client::Connect(MariaDbTestServer::Get().Spec(database_));
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Execute("SET sql_mode = ''").ok());
  ASSERT_TRUE((*client)->Execute(std::string("INSERT INTO types VALUES ") + kRowNulls).ok());
  ASSERT_TRUE((*client)->Execute(std::string("INSERT INTO types VALUES ") + kRowZeros).ok());
  ASSERT_TRUE((*client)
                  ->Execute("INSERT INTO types SELECT 4, ti, tiu, si, siu, mi, miu, i, iu, "
                            "bi, biu, d, d2, d3, f, db, dt, dtm, dtm6, ts, ts3, tm, tm2, "
                            "tm6, y, c, vc, tx, bn, vb, bl, e, st, b1, b12, b64, j FROM "
                            "types WHERE id = 1")
                  .ok());
  ASSERT_TRUE((*client)
                  ->Execute("UPDATE types SET ti = 127, d = 0.01, dt = '2000-01-01', "
                            "e = 'cancelado', st = '', c = 'zz' WHERE id = 1")
                  .ok());
  auto second = cdc.Sync(nullptr, {});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->change_rows, 4);

  // A full copy read by SELECT is the reference for the values decoded from the binlog.
  MysqlSourceSpec copy = Spec({"types"});
  copy.cdc = false;
  copy.bronze = "copy_{table}";
  MysqlSource snapshot(*lake_, *conn_, copy, StateDir());
  auto copied = snapshot.Sync(nullptr, {});
  ASSERT_TRUE(copied.ok()) << copied.status();
  std::string mirror = Mirror(Scan("erp_types"));
  std::string reference =
      "SELECT * EXCLUDE (_op, _position, _source_ts, _tx, _ingested_at) FROM " + Scan("copy_types");
  EXPECT_EQ(Count(reference), 4);
  EXPECT_EQ(Difference(mirror, reference), 0) << "binlog rows:\n"
                                              << conn_->QueryRows(mirror + " ORDER BY id").ok();
  // Spot checks of exactness.
  auto rows = conn_->QueryRows(
      "SELECT CAST(biu AS VARCHAR), CAST(d2 AS VARCHAR), tm, "
      "CAST(b64 AS VARCHAR), hex(bn), vc, dt IS NULL FROM (" +
      mirror + ") ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ(std::get<std::string>((*rows)[3][0]), "18446744073709551615");
  EXPECT_EQ(std::get<std::string>((*rows)[3][1]), "-123456789012345678.123456789012");
  EXPECT_EQ(std::get<std::string>((*rows)[3][2]), "-838:59:59");
  EXPECT_EQ(std::get<std::string>((*rows)[3][3]), "18446744073709551615");
  EXPECT_EQ(std::get<std::string>((*rows)[3][4]), "00FF0000");
  EXPECT_EQ(std::get<std::string>((*rows)[0][5]), "ção ✓ 😀");
  EXPECT_EQ(std::get<bool>((*rows)[2][6]), true) << "zero date -> NULL";
}

TEST_F(SourceTest, BadInputsGiveClearErrorsAndCommitNothing) {
  Sql("CREATE TABLE ok (id INT PRIMARY KEY, v INT)");
  Sql("CREATE TABLE nokey (v INT)");
  // Wrong password: the server's access-denied message, never the password.
  MysqlSourceSpec wrong = Spec({"ok"});
  wrong.connection.password = "not-the-password";
  auto denied = MysqlSource(*lake_, *conn_, wrong, StateDir()).Sync(nullptr, {});
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.status().message().find("Access denied"), std::string::npos) << denied.status();
  EXPECT_EQ(denied.status().message().find("not-the-password"), std::string::npos);
  // A table that does not exist.
  auto missing = MysqlSource(*lake_, *conn_, Spec({"ok", "nope"}), StateDir()).Sync(nullptr, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status();
  EXPECT_NE(missing.status().message().find("table nope"), std::string::npos);
  // A table without a primary key is refused, naming it.
  auto nokey = MysqlSource(*lake_, *conn_, Spec({"nokey"}), StateDir()).Sync(nullptr, {});
  ASSERT_FALSE(nokey.ok());
  EXPECT_NE(nokey.status().message().find("has no primary key"), std::string::npos)
      << nokey.status();
  // An unsupported column type names the table and the column.
  Sql("CREATE TABLE geo (id INT PRIMARY KEY, p POINT)");
  auto geo = MysqlSource(*lake_, *conn_, Spec({"geo"}), StateDir()).Sync(nullptr, {});
  ASSERT_FALSE(geo.ok());
  EXPECT_TRUE(geo.status().IsUnsupported()) << geo.status();
  EXPECT_NE(geo.status().message().find("column p"), std::string::npos) << geo.status();
  // The binlog in STATEMENT format cannot be followed.
  ASSERT_EQ(MariaDbTestServer::Get().Sql("mysql", "SET GLOBAL binlog_format = 'STATEMENT'"), "");
  auto statement = MysqlSource(*lake_, *conn_, Spec({"ok"}), StateDir()).Sync(nullptr, {});
  ASSERT_EQ(MariaDbTestServer::Get().Sql("mysql", "SET GLOBAL binlog_format = 'ROW'"), "");
  ASSERT_FALSE(statement.ok());
  EXPECT_NE(statement.status().message().find("binlog_format=ROW"), std::string::npos)
      << statement.status();
  // Nothing was written by any of them.
  EXPECT_FALSE(std::filesystem::exists(dir_ / "lake" / "bronze"));
}

TEST_F(SourceTest, ResumesFromTheCommittedPositionAndSkipsWhatBronzeHolds) {
  Sql("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))");
  Sql("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  MysqlSourceSpec spec = Spec({"t"});
  spec.snapshot_chunk_rows = 2;  // two chunks
  auto first = MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->snapshot_rows, 3);
  EXPECT_EQ(first->commits, 2);
  Sql("INSERT INTO t VALUES (4, 'd')");
  Sql("UPDATE t SET v = 'bb' WHERE id = 2");
  Sql("UPDATE t SET id = 30 WHERE id = 3");  // a key change: delete + insert
  Sql("DELETE FROM t WHERE id = 1");
  auto second = MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->snapshot_rows, 0);
  EXPECT_EQ(second->change_rows, 5);
  // Again, with the state file gone: the tables' own positions say what they hold.
  std::filesystem::remove_all(StateDir());
  auto third = MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {});
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->change_rows, 0);
  std::string scan = Scan("erp_t");
  auto ops =
      conn_->QueryRows("SELECT string_agg(_op || id, ' ' ORDER BY _position, id) FROM " + scan);
  ASSERT_TRUE(ops.ok()) << ops.status();
  // Snapshot rows share their snapshot's position; changes follow in binlog order.
  EXPECT_EQ(std::get<std::string>((*ops)[0][0]), "r1 r2 r3 c4 u2 d3 c30 d1");
  auto txs =
      engine::QueryInt64(*conn_, "SELECT count(DISTINCT _tx) FROM " + scan + " WHERE _op <> 'r'");
  ASSERT_TRUE(txs.ok());
  EXPECT_EQ(*txs, 4) << "one GTID per source transaction";
}

TEST_F(SourceTest, AddedColumnFollowsIntoBronze) {
  Sql("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))");
  Sql("INSERT INTO t VALUES (1, 'a')");
  MysqlSourceSpec spec = Spec({"t"});
  ASSERT_TRUE(MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {}).ok());
  Sql("INSERT INTO t VALUES (2, 'b')");
  Sql("ALTER TABLE t ADD COLUMN price DECIMAL(8,2) NULL");
  Sql("INSERT INTO t VALUES (3, 'c', 9.99)");
  Sql("UPDATE t SET price = 1.50 WHERE id = 1");
  auto synced = MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {});
  ASSERT_TRUE(synced.ok()) << synced.status();
  EXPECT_EQ(synced->change_rows, 3);
  auto rows = conn_->QueryRows(
      "SELECT string_agg(_op || id || '=' || coalesce(CAST(price AS "
      "VARCHAR), 'null'), ' ' ORDER BY _position, id) FROM " +
      Scan("erp_t"));
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(std::get<std::string>((*rows)[0][0]), "r1=null c2=null c3=9.99 u1=1.50");
}

TEST_F(SourceTest, DroppedAndWidenedColumnsFollowIntoBronze) {
  Sql("CREATE TABLE t (id INT PRIMARY KEY, qty INT, note VARCHAR(10), price DECIMAL(8,2), "
      "gone VARCHAR(5))");
  Sql("INSERT INTO t VALUES (1, 5, 'a', 1.25, 'x')");
  MysqlSourceSpec spec = Spec({"t"});
  ASSERT_TRUE(MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {}).ok());
  Sql("INSERT INTO t VALUES (2, 2147483647, 'b', 999999.99, 'y')");
  Sql("ALTER TABLE t DROP COLUMN gone");
  Sql("INSERT INTO t VALUES (3, -7, 'c', 0.5)");
  Sql("ALTER TABLE t MODIFY qty BIGINT, MODIFY note VARCHAR(100), MODIFY price DECIMAL(14,2)");
  Sql("INSERT INTO t VALUES (4, 9000000000, REPEAT('n', 100), 123456789012.34)");
  Sql("UPDATE t SET qty = qty * 10, price = price * 1000000 WHERE id = 2");
  auto synced = MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {});
  ASSERT_TRUE(synced.ok()) << synced.status();
  EXPECT_EQ(synced->change_rows, 4);
  std::string scan = Scan("erp_t");
  // The dropped column keeps its bronze column, NULL from the drop on; the widened ones are
  // widened in bronze (Delta type widening), their old values kept.
  EXPECT_EQ(LakeRows("SELECT _op, CAST(id AS VARCHAR), CAST(gone AS VARCHAR), typeof(qty), "
                     "typeof(price) FROM " +
                     scan + " ORDER BY _position, id"),
            "r|1|x|BIGINT|DECIMAL(14,2)\nc|2|y|BIGINT|DECIMAL(14,2)\n"
            "c|3|NULL|BIGINT|DECIMAL(14,2)\nc|4|NULL|BIGINT|DECIMAL(14,2)\n"
            "u|2|NULL|BIGINT|DECIMAL(14,2)\n");
  EXPECT_EQ(LakeRows("SELECT CAST(id AS VARCHAR), CAST(qty AS VARCHAR), note, CAST(price AS "
                     "VARCHAR) FROM (" +
                     Mirror(scan) + ") ORDER BY id"),
            SourceRows("SELECT id, qty, note, price FROM t ORDER BY id"));
  EXPECT_EQ(Count(Mirror(scan)), 4);
}

TEST_F(SourceTest, ATypeChangeBronzeCannotStoreNamesTheTableAndColumn) {
  Sql("CREATE TABLE t (id INT PRIMARY KEY, qty INT)");
  Sql("INSERT INTO t VALUES (1, 5)");
  MysqlSourceSpec spec = Spec({"t"});
  ASSERT_TRUE(MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {}).ok());
  Sql("INSERT INTO t VALUES (2, 6)");
  Sql("ALTER TABLE t MODIFY qty VARCHAR(20)");
  Sql("UPDATE t SET qty = 'many' WHERE id = 1");
  auto refused = MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << refused.status();
  EXPECT_NE(refused.status().message().find("bronze.erp_t"), std::string::npos) << refused.status();
  EXPECT_NE(refused.status().message().find("qty"), std::string::npos) << refused.status();
  // The change before the type change is kept; the one after it is not written as a wrong value.
  EXPECT_EQ(LakeRows("SELECT _op, CAST(id AS VARCHAR), CAST(qty AS VARCHAR) FROM " + Scan("erp_t") +
                     " ORDER BY _position"),
            "r|1|5\nc|2|6\n");
}

}  // namespace
}  // namespace strata::ingest::mysql
