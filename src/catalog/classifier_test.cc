// The PII classifier: single-value checks, decoys, and whole columns whose names say nothing.
#include "catalog/classifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "demo/importau_generator.h"

namespace strata::catalog {
namespace {

std::vector<std::string> Classes(const ColumnSample& sample,
                                 const ClassifierOptions& options = {}) {
  auto found = ClassifyColumn(sample, options);
  EXPECT_TRUE(found.ok()) << found.status();
  std::vector<std::string> out;
  for (const Classification& c : *found) out.push_back(c.class_name);
  return out;
}

TEST(ClassifierTest, CpfAndCnpjCheckDigits) {
  EXPECT_TRUE(IsValidCpf("529.982.247-25"));
  EXPECT_TRUE(IsValidCpf("52998224725"));
  EXPECT_FALSE(IsValidCpf("52998224726"));  // last check digit wrong
  EXPECT_FALSE(IsValidCpf("11111111111"));  // repeated digits pass the arithmetic, not the rule
  EXPECT_FALSE(IsValidCpf("5299822472"));
  EXPECT_FALSE(IsValidCpf("529.982.24725"));
  for (const char* nine : {"123456789", "000000001", "987654321"}) {
    EXPECT_TRUE(IsValidCpf(demo::CpfWithCheckDigits(nine))) << nine;
  }
  EXPECT_TRUE(IsValidCnpj("11.222.333/0001-81"));
  EXPECT_TRUE(IsValidCnpj("11222333000181"));
  EXPECT_FALSE(IsValidCnpj("11222333000182"));
  EXPECT_TRUE(IsValidCnpj(demo::CnpjWithCheckDigits("123456780001")));
}

TEST(ClassifierTest, OtherDetectors) {
  EXPECT_TRUE(PassesLuhn("4111111111111111"));
  EXPECT_TRUE(IsCreditCard("4111 1111 1111 1111"));
  EXPECT_TRUE(IsCreditCard("5555-5555-5555-4444"));
  EXPECT_FALSE(IsCreditCard("4111111111111112"));
  EXPECT_FALSE(IsCreditCard("9111111111111111"));  // no issuer starts with 9... and Luhn fails
  EXPECT_TRUE(IsEmail("joao.silva12@silva-empresa.com.br"));
  EXPECT_FALSE(IsEmail("joao.silva@"));
  EXPECT_FALSE(IsEmail("not an email"));
  EXPECT_TRUE(IsPhone("+55 11 91234-5678"));
  EXPECT_TRUE(IsPhone("(11) 91234-5678"));
  EXPECT_TRUE(IsPhone("+4915112345678"));
  EXPECT_TRUE(IsPhone("+1 415 555 2671"));
  EXPECT_FALSE(IsPhone("11912345678"));  // bare digits: an id as much as a phone
  EXPECT_FALSE(IsPhone("2024-01-31"));
  EXPECT_TRUE(IsIpAddress("192.168.0.1"));
  EXPECT_TRUE(IsIpAddress("2001:db8::1"));
  EXPECT_FALSE(IsIpAddress("256.1.1.1"));
  EXPECT_FALSE(IsIpAddress("1.2.3"));
  EXPECT_TRUE(IsPersonName("Natália Oliveira"));
  EXPECT_TRUE(IsPersonName("Maria da Silva Santos"));
  EXPECT_FALSE(IsPersonName("Comércio Silva Ltda"));
  EXPECT_FALSE(IsPersonName("Silva, Santos & Cia Ltda"));
  EXPECT_FALSE(IsPersonName("Ana"));
  // First names no list knows, carried by a known surname; streets and firms named after people
  // are not people.
  EXPECT_TRUE(IsPersonName("Wellington de Moura"));
  EXPECT_TRUE(IsPersonName("Rosângela Cavalcanti Barros"));
  EXPECT_FALSE(IsPersonName("Rua Oliveira"));
  EXPECT_FALSE(IsPersonName("Banco Santos"));
  EXPECT_FALSE(IsPersonName("Ribeiro Distribuidora"));
  EXPECT_FALSE(IsPersonName("zeferino souza"));  // not capitalised
  EXPECT_TRUE(IsStreetAddress("Rua Augusta, 1500"));
  EXPECT_TRUE(IsStreetAddress("Av. Paulista, nº 1000, apto 12"));
  EXPECT_TRUE(IsStreetAddress("221B Baker Street"));
  EXPECT_FALSE(IsStreetAddress("Rua sem número"));
  EXPECT_TRUE(IsBirthDate("1985-03-12", 2024));
  EXPECT_TRUE(IsBirthDate("12/03/1985", 2024));
  EXPECT_FALSE(IsBirthDate("2023-03-12", 2024));
  EXPECT_EQ(MaskValue("52998224725"), "5********25");
}

TEST(ClassifierTest, ValuesDecideNotNames) {
  ColumnSample decoy{"cpf", "VARCHAR", {}};
  // Eleven digits each, but the check digits fail: not CPFs, whatever the column is called.
  for (int i = 0; i < 50; ++i) {
    std::string cpf = demo::CpfWithCheckDigits(std::to_string(100000000 + i * 7919));
    cpf[10] = cpf[10] == '9' ? '0' : static_cast<char>(cpf[10] + 1);
    decoy.values.push_back(cpf);
  }
  EXPECT_THAT(Classes(decoy), ::testing::Not(::testing::Contains("CPF")));
  EXPECT_TRUE(Classes(decoy).empty());
  // A name with no values to contradict it gives a weak proposal from the name.
  auto weak = ClassifyColumn({"email_contato", "VARCHAR", {}}, {});
  ASSERT_TRUE(weak.ok());
  ASSERT_EQ(weak->size(), 1u);
  EXPECT_EQ((*weak)[0].class_name, "EMAIL");
  EXPECT_EQ((*weak)[0].method, "name");
  EXPECT_LT((*weak)[0].confidence, 0.5);
  // Mostly valid values: found, with evidence that never shows a raw value.
  ColumnSample cpfs{"c5", "VARCHAR", {}};
  for (int i = 0; i < 40; ++i)
    cpfs.values.push_back(demo::CpfWithCheckDigits(std::to_string(200000000 + i * 13)));
  cpfs.values.push_back("n/a");
  auto found = ClassifyColumn(cpfs, {});
  ASSERT_TRUE(found.ok());
  ASSERT_FALSE(found->empty());
  EXPECT_EQ((*found)[0].class_name, "CPF");
  EXPECT_EQ((*found)[0].method, "values");
  EXPECT_GT((*found)[0].confidence, 0.8);
  EXPECT_THAT((*found)[0].evidence, ::testing::HasSubstr("\"matched\":40"));
  EXPECT_THAT((*found)[0].evidence, ::testing::Not(::testing::HasSubstr(cpfs.values[0])));
}

// Old dates alone could be anything (contracts, founding dates): without the name they stay
// weak unless they spread over generations, as people's births do.
TEST(ClassifierTest, DatesOfBirthNeedTheNameOrASpreadOfGenerations) {
  ColumnSample births{"c3", "DATE", {}};
  for (int y = 1950; y < 2000; ++y) births.values.push_back(std::to_string(y) + "-06-15");
  auto anonymous = ClassifyColumn(births, {});
  ASSERT_TRUE(anonymous.ok());
  ASSERT_EQ(anonymous->size(), 1u);
  EXPECT_GT((*anonymous)[0].confidence, 0.5);
  EXPECT_LE((*anonymous)[0].confidence, 0.8);
  EXPECT_NE((*anonymous)[0].evidence.find("\"year_span\":49"), std::string::npos)
      << (*anonymous)[0].evidence;
  ColumnSample clustered{"c4", "DATE", {}};
  for (int i = 0; i < 40; ++i) {
    clustered.values.push_back(std::to_string(1990 + i % 6) + "-0" + std::to_string(1 + i % 9) +
                               "-10");
  }
  auto weak = ClassifyColumn(clustered, {});
  ASSERT_TRUE(weak.ok());
  ASSERT_EQ(weak->size(), 1u);
  EXPECT_LE((*weak)[0].confidence, 0.5);
  births.name = "data_nascimento";
  auto named = ClassifyColumn(births, {});
  ASSERT_TRUE(named.ok());
  EXPECT_GT((*named)[0].confidence, 0.9);
  ColumnSample orders{"data_pedido",
                      "DATE",
                      {"2024-01-02", "2024-02-03", "2023-12-30", "2024-03-04", "2024-04-05"}};
  EXPECT_TRUE(Classes(orders).empty());
}

TEST(ClassifierTest, CustomPatterns) {
  ClassifierOptions options;
  options.custom.push_back({"CONTRATO", "CT-[0-9]{6}", {"contrato"}});
  ColumnSample contracts{
      "ref", "VARCHAR", {"CT-000001", "CT-123456", "CT-999999", "CT-424242", "CT-100000"}};
  EXPECT_THAT(Classes(contracts, options), ::testing::ElementsAre("CONTRATO"));
  options.custom.push_back({"BROKEN", "([", {}});
  auto bad = ClassifyColumn(contracts, options);
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("BROKEN"));
}

}  // namespace
}  // namespace strata::catalog
