#include "demo/importau_generator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/civil_date.h"
#include "common/numbers.h"

namespace strata::demo {
namespace {

namespace fs = std::filesystem;

class ImportAuGeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* root = std::getenv("STRATA_TEST_TMP");
    fs::path base = root && *root ? root : fs::temp_directory_path();
    fs::create_directories(base);
    std::string pattern = (base / "importau-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
  static std::vector<std::string> Lines(const fs::path& path) {
    std::vector<std::string> lines;
    std::istringstream in(Read(path));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  // Splits a line that has no quoted fields.
  static std::vector<std::string> Fields(const std::string& line) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
    return fields;
  }

  fs::path dir_;
};

constexpr const char* kFiles[] = {"clientes.csv",  "fornecedores.csv", "produtos.csv",
                                  "pedidos.csv",   "itens_pedido.csv", "cambio.csv",
                                  "pagamentos.csv"};

TEST(CheckDigitsTest, KnownValidDocuments) {
  EXPECT_EQ(CpfWithCheckDigits("529982247"), "52998224725");
  EXPECT_EQ(CpfWithCheckDigits("111444777"), "11144477735");
  EXPECT_EQ(CnpjWithCheckDigits("112223330001"), "11222333000181");
  EXPECT_EQ(CnpjWithCheckDigits("000000000001"), "00000000000191");  // Banco do Brasil
}

TEST(CivilDateTest, RoundTripsAndWeekdays) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(FormatDate(DaysFromCivil(2024, 2, 29)), "2024-02-29");
  EXPECT_EQ(FormatDate(DaysFromCivil(1969, 12, 31)), "1969-12-31");
  EXPECT_EQ(Weekday(DaysFromCivil(2024, 11, 25)), 0);  // a Monday
  EXPECT_EQ(Weekday(DaysFromCivil(2023, 1, 1)), 6);    // a Sunday
  for (int64_t d = -800000; d < 800000; d += 997) {
    CivilDate c = CivilFromDays(d);
    EXPECT_EQ(DaysFromCivil(c.year, c.month, c.day), d);
  }
}

TEST_F(ImportAuGeneratorTest, WritesTheSevenFilesWithContractHeaders) {
  Result<ImportAuCounts> counts = GenerateImportAu(dir_.string(), {});
  ASSERT_TRUE(counts.ok()) << counts.status();
  for (const char* name : kFiles) ASSERT_TRUE(fs::exists(dir_ / name)) << name;
  EXPECT_EQ(Lines(dir_ / "pedidos.csv").front(),
            "pedido_id,cliente_id,fornecedor_id,data_pedido,moeda,incoterm,status");
  EXPECT_EQ(Lines(dir_ / "cambio.csv").front(), "data,moeda,taxa_brl");
  EXPECT_EQ(counts->pedidos, 25000);
  EXPECT_EQ(counts->clientes, 2000);
  // About 100k items at scale 1 (1..7 per order).
  EXPECT_GT(counts->itens_pedido, 90000);
  EXPECT_LT(counts->itens_pedido, 110000);
  EXPECT_EQ(counts->dirty_rows, 0);
  EXPECT_EQ(static_cast<int64_t>(Lines(dir_ / "itens_pedido.csv").size()) - 1,
            counts->itens_pedido);
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().extension(), ".csv") << "left behind: " << entry.path();
  }
}

TEST_F(ImportAuGeneratorTest, CleanDataKeepsTheContract) {
  ASSERT_TRUE(GenerateImportAu(dir_.string(), {}).ok());
  // Every order's payment shares sum to exactly 1.000.
  std::map<std::string, int> permille;
  std::vector<std::string> payments = Lines(dir_ / "pagamentos.csv");
  for (size_t i = 1; i < payments.size(); ++i) {
    std::vector<std::string> f = Fields(payments[i]);
    ASSERT_EQ(f.size(), 6u) << payments[i];
    permille[f[1]] += ParseInteger<int>(std::string_view(f[4]).substr(0, 1)).value_or(-1) * 1000 +
                      ParseInteger<int>(std::string_view(f[4]).substr(2)).value_or(-1);
  }
  EXPECT_EQ(permille.size(), 25000u);
  for (const auto& [order, total] : permille) EXPECT_EQ(total, 1000) << "order " << order;
  // Rates exist on business days only, for the three currencies.
  std::vector<std::string> rates = Lines(dir_ / "cambio.csv");
  std::map<std::string, int> per_currency;
  for (size_t i = 1; i < rates.size(); ++i) {
    std::vector<std::string> f = Fields(rates[i]);
    std::string_view date = f[0];
    int64_t day = DaysFromCivil(ParseInteger<int>(date.substr(0, 4)).value_or(0),
                                ParseInteger<int>(date.substr(5, 2)).value_or(0),
                                ParseInteger<int>(date.substr(8, 2)).value_or(0));
    EXPECT_LT(Weekday(day), 5) << rates[i];
    per_currency[f[1]]++;
    EXPECT_GT(ParseDouble(f[2]).value_or(0), 0.1) << rates[i];
  }
  EXPECT_EQ(per_currency.size(), 3u);
  EXPECT_EQ(per_currency["USD"], per_currency["CNY"]);
}

TEST_F(ImportAuGeneratorTest, SameSeedSameBytesOtherSeedOtherData) {
  fs::path a = dir_ / "a", b = dir_ / "b", c = dir_ / "c";
  ASSERT_TRUE(GenerateImportAu(a.string(), {1, 7, false}).ok());
  ASSERT_TRUE(GenerateImportAu(b.string(), {1, 7, false}).ok());
  ASSERT_TRUE(GenerateImportAu(c.string(), {1, 8, false}).ok());
  for (const char* name : kFiles) {
    EXPECT_EQ(Read(a / name), Read(b / name)) << name;
  }
  EXPECT_NE(Read(a / "itens_pedido.csv"), Read(c / "itens_pedido.csv"));
}

TEST_F(ImportAuGeneratorTest, DirtyModeBreaksRowsAndCountsThem) {
  Result<ImportAuCounts> counts = GenerateImportAu(dir_.string(), {1, 42, true});
  ASSERT_TRUE(counts.ok());
  EXPECT_GT(counts->dirty_rows, 100);
  std::string items = Read(dir_ / "itens_pedido.csv");
  EXPECT_NE(items.find(",obs\n"), std::string::npos);
  EXPECT_NE(Read(dir_ / "cambio.csv").find("2024-02-30,USD"), std::string::npos);
}

TEST_F(ImportAuGeneratorTest, EmailsArePlainAscii) {
  ASSERT_TRUE(GenerateImportAu(dir_.string(), {}).ok());
  std::vector<std::string> clientes = Lines(dir_ / "clientes.csv");
  for (size_t i = 1; i < clientes.size(); ++i) {
    size_t at = clientes[i].find('@');
    ASSERT_NE(at, std::string::npos) << clientes[i];
    size_t start = clientes[i].rfind(',', at) + 1;
    std::string local = clientes[i].substr(start, at - start);
    for (char c : local) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.') << clientes[i];
    }
    // Accented names keep their letters: "Araújo" -> "araujo", never "arajo".
    EXPECT_EQ(local.find("arajo"), std::string::npos) << clientes[i];
  }
}

TEST_F(ImportAuGeneratorTest, RejectsBadScaleAndUnwritableDirectory) {
  Result<ImportAuCounts> bad = GenerateImportAu(dir_.string(), {0, 1, false});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  std::ofstream(dir_ / "file") << "x";
  Result<ImportAuCounts> blocked = GenerateImportAu((dir_ / "file" / "sub").string(), {});
  ASSERT_FALSE(blocked.ok());
  EXPECT_TRUE(blocked.status().IsIOError()) << blocked.status();
}

}  // namespace
}  // namespace strata::demo
