// `strata catalog ...` and `strata lineage ...` as a user meets them: crawl a folder, find PII
// in anonymous columns, search, show, edit, confirm/reject classes, and the error paths.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace strata::test {
namespace {

using nlohmann::json;

// A valid CPF from nine digits (the two check digits of the Receita Federal rule).
std::string Cpf(int64_t nine) {
  std::string d = std::to_string(100000000 + nine % 900000000);
  for (int round = 0; round < 2; ++round) {
    int sum = 0;
    int weight = static_cast<int>(d.size()) + 1;
    for (char c : d) sum += (c - '0') * weight--;
    int r = sum % 11;
    d += static_cast<char>('0' + (r < 2 ? 0 : 11 - r));
  }
  return d;
}

class CatalogCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    project_ = dir_.path() + "/proj";
    data_ = dir_.path() + "/data";
    std::filesystem::create_directories(project_);
    std::filesystem::create_directories(data_);
    std::ofstream(project_ + "/strata.yaml") << "name: t\ncatalog: meta/catalog.db  # local\n";
    std::ofstream csv(data_ + "/export.csv");
    csv << "c1,c2,c3,c4\n";
    for (int i = 0; i < 60; ++i) {
      csv << i << "," << Cpf(i * 7919 + 13) << ",pessoa" << i << "@exemplo.com.br,+55 11 9"
          << (1000 + i) << "-" << (5000 + i) << "\n";
    }
  }

  CommandResult Strata(std::vector<std::string> args) {
    args.push_back("--project");
    args.push_back(project_);
    return RunStrata(args);
  }

  TempDir dir_;
  std::string project_, data_;
};

TEST_F(CatalogCliTest, CrawlClassifySearchShowEdit) {
  CommandResult crawl = Strata({"catalog", "crawl", data_, "--json"});
  ASSERT_EQ(crawl.exit_code, 0) << crawl.err;
  EXPECT_TRUE(std::filesystem::exists(project_ + "/meta/catalog.db"));  // strata.yaml's catalog:
  json report = json::parse(crawl.out);
  ASSERT_EQ(report["tables"].size(), 1u);
  std::string table = report["tables"][0]["name"];
  EXPECT_EQ(report["tables"][0]["row_count"], 60);
  json classified = report["tables"][0]["classified"];
  std::string all = classified.dump();
  EXPECT_NE(all.find("c2: CPF"), std::string::npos) << all;
  EXPECT_NE(all.find("c3: EMAIL"), std::string::npos) << all;
  EXPECT_NE(all.find("c4: PHONE"), std::string::npos) << all;
  EXPECT_EQ(all.find("c1:"), std::string::npos) << all;

  CommandResult show = Strata({"catalog", "show", table, "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  json asset = json::parse(show.out);
  EXPECT_EQ(asset["columns"].size(), 4u);
  EXPECT_EQ(asset["columns"][1]["classifications"][0]["class"], "CPF");
  EXPECT_EQ(asset["columns"][1]["classifications"][0]["status"], "proposed");
  EXPECT_EQ(asset["versions"].size(), 1u);

  ASSERT_EQ(Strata({"catalog", "set-owner", table, "time-dados"}).exit_code, 0);
  ASSERT_EQ(Strata({"catalog", "describe", table, "Exportação mensal de cadastros"}).exit_code, 0);
  ASSERT_EQ(Strata({"catalog", "tag", table, "Cadastro"}).exit_code, 0);
  ASSERT_EQ(Strata({"catalog", "tag", table, "Exportação", "--glossary"}).exit_code, 0);
  ASSERT_EQ(Strata({"catalog", "classify", table + ".c2", "CPF", "--confirm"}).exit_code, 0);
  CommandResult reject =
      Strata({"catalog", "classify", table + ".c4", "PHONE", "--reject", "--json"});
  ASSERT_EQ(reject.exit_code, 0) << reject.err;
  EXPECT_EQ(json::parse(reject.out)[0]["status"], "rejected");

  // New data: the crawl re-evaluates, the user's decisions stay.
  ASSERT_EQ(Strata({"catalog", "crawl", data_}).exit_code, 0);
  asset = json::parse(Strata({"catalog", "show", table, "--json"}).out);
  EXPECT_EQ(asset["owner"], "time-dados");
  EXPECT_EQ(asset["description"], "Exportação mensal de cadastros");
  EXPECT_EQ(asset["tags"], json::array({"Cadastro"}));
  EXPECT_EQ(asset["glossary"], json::array({"Exportação"}));
  EXPECT_EQ(asset["columns"][1]["classifications"][0]["status"], "confirmed");
  EXPECT_EQ(asset["columns"][3]["classifications"][0]["status"], "rejected");

  CommandResult search = Strata({"catalog", "search", "EXPORTACAO mensal", "--json"});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  json hits = json::parse(search.out);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]["name"], table);
  CommandResult text = Strata({"catalog", "search", "cadastro"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find(table), std::string::npos) << text.out;

  ASSERT_EQ(Strata({"catalog", "untag", table, "Cadastro"}).exit_code, 0);
  asset = json::parse(Strata({"catalog", "show", table, "--json"}).out);
  EXPECT_TRUE(asset["tags"].empty());

  CommandResult lineage = Strata({"lineage", table, "--upstream", "--json"});
  ASSERT_EQ(lineage.exit_code, 0) << lineage.err;
  EXPECT_EQ(json::parse(lineage.out)["root"], table);
}

TEST_F(CatalogCliTest, ErrorsAreOneLineWithExitCodes) {
  CommandResult none = Strata({"catalog", "show", "gold.x"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no catalog at"), std::string::npos) << none.err;
  ASSERT_EQ(Strata({"catalog", "crawl", data_}).exit_code, 0);
  CommandResult missing = Strata({"catalog", "show", "gold.nada"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "strata: error: 'gold.nada' is not in the catalog\n");
  CommandResult both = Strata({"catalog", "classify", "x.c", "CPF", "--confirm", "--reject"});
  EXPECT_EQ(both.exit_code, 2) << both.err;
  CommandResult no_class = Strata({"catalog", "classify", "x.c", "--confirm"});
  EXPECT_EQ(no_class.exit_code, 1) << no_class.err;
  EXPECT_EQ(Strata({"catalog"}).exit_code, 2);
  EXPECT_EQ(Strata({"lineage", "a", "--upstream", "--downstream"}).exit_code, 2);
  CommandResult lineage = Strata({"lineage", "gold.nada"});
  EXPECT_EQ(lineage.exit_code, 1);
  EXPECT_NE(lineage.err.find("gold.nada"), std::string::npos);
  CommandResult crawl = Strata({"catalog", "crawl", dir_.path() + "/nope"});
  EXPECT_EQ(crawl.exit_code, 1);
  EXPECT_NE(crawl.err.find("does not exist"), std::string::npos);
  CommandResult help = RunStrata({"catalog", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("crawl"), std::string::npos);
}

}  // namespace
}  // namespace strata::test
