// The classifier finds PII by the values alone: `strata catalog crawl` over CSV, JSON and Parquet
// files whose columns are named c1, c2, ... (nothing in a name helps) holding e-mails, CPFs,
// CNPJs, phones, credit cards, IP addresses, person names, street addresses and birth dates,
// next to columns that are not PII (amounts, recent order dates, product codes, company names).
// Each PII column must be proposed with its class, method "values", a confidence and evidence
// (sample size, matches, masked examples); the other columns must stay unclassified.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_util.h"

namespace strata::test {
namespace {

using nlohmann::json;

constexpr int kRows = 120;

// Deterministic pseudo-random numbers (xorshift), so a failure reproduces.
struct Rng {
  uint64_t state;
  uint64_t Next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Next() % v.size()];
  }
};

std::string Digits(Rng& rng, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += static_cast<char>('0' + rng.Below(10));
  return out;
}

// Appends the CPF/CNPJ check digit of `d` with weights running down from `top` (wrapping to 9
// after 2 for CNPJ).
void AppendCheck(std::string& d, bool cnpj) {
  int sum = 0;
  int weight = cnpj ? static_cast<int>(d.size()) - 7 : static_cast<int>(d.size()) + 1;
  for (char c : d) {
    sum += (c - '0') * weight;
    weight = (cnpj && weight == 2) ? 9 : weight - 1;
  }
  int r = sum % 11;
  d += static_cast<char>('0' + (r < 2 ? 0 : 11 - r));
}

std::string Cpf(Rng& rng, bool formatted) {
  std::string d = Digits(rng, 9);
  AppendCheck(d, false);
  AppendCheck(d, false);
  if (!formatted) return d;
  return d.substr(0, 3) + "." + d.substr(3, 3) + "." + d.substr(6, 3) + "-" + d.substr(9);
}

std::string Cnpj(Rng& rng, bool formatted) {
  std::string d = "1" + Digits(rng, 7) + "0001";
  AppendCheck(d, true);
  AppendCheck(d, true);
  if (!formatted) return d;
  return d.substr(0, 2) + "." + d.substr(2, 3) + "." + d.substr(5, 3) + "/" + d.substr(8, 4) + "-" +
         d.substr(12);
}

std::string Card(Rng& rng) {
  static const std::vector<std::string> kPrefixes = {"4", "51", "55", "2221", "37", "6062"};
  std::string prefix = rng.Pick(kPrefixes);
  int length = prefix == "37" ? 15 : 16;
  std::string d = prefix + Digits(rng, length - static_cast<int>(prefix.size()) - 1);
  for (char check = '0'; check <= '9'; ++check) {  // the Luhn check digit
    int sum = 0;
    std::string candidate = d + check;
    bool twice = false;
    for (size_t i = candidate.size(); i-- > 0;) {
      int v = candidate[i] - '0';
      if (twice) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
      twice = !twice;
    }
    if (sum % 10 == 0) return candidate;
  }
  return d;
}

std::string Phone(Rng& rng) {
  std::string ddd = std::to_string(11 + rng.Below(88));
  switch (rng.Below(4)) {
    case 0:
      return "(" + ddd + ") 9" + Digits(rng, 4) + "-" + Digits(rng, 4);
    case 1:
      return "+55 " + ddd + " 9" + Digits(rng, 4) + "-" + Digits(rng, 4);
    case 2:
      return "+55 " + ddd + " 3" + Digits(rng, 3) + "-" + Digits(rng, 4);  // landline
    default:
      return "+44 20 " + Digits(rng, 4) + " " + Digits(rng, 4);  // international
  }
}

std::string Ip(Rng& rng) {
  if (rng.Below(4) == 0) {
    return "2001:db8:" + std::to_string(rng.Below(9999)) + "::" + std::to_string(rng.Below(99));
  }
  return std::to_string(1 + rng.Below(223)) + "." + std::to_string(rng.Below(256)) + "." +
         std::to_string(rng.Below(256)) + "." + std::to_string(1 + rng.Below(254));
}

// Brazilian names as they come, many first names no short list would know.
std::string Name(Rng& rng) {
  static const std::vector<std::string> kFirst = {
      "Rogério", "Thaís",      "Cláudio",   "Márcio",    "Simone",    "Raquel",
      "Luciana", "Eduardo",    "Maria",     "João",      "Ana",       "Francisco",
      "Kátia",   "Wellington", "Cristiane", "Edson",     "Gilberto",  "Rosângela",
      "Valdir",  "Denise",     "Everton",   "Jaqueline", "Reginaldo", "Tânia"};
  static const std::vector<std::string> kLast = {
      "Silva",   "Santos",   "Oliveira", "Souza",    "Rodrigues", "Ferreira",  "Alves",
      "Pereira", "Lima",     "Gomes",    "Costa",    "Ribeiro",   "Martins",   "Carvalho",
      "Almeida", "Nogueira", "Barros",   "Teixeira", "Moura",     "Cavalcanti"};
  std::string name = rng.Pick(kFirst);
  if (rng.Below(3) == 0) name += " de";
  name += " " + rng.Pick(kLast);
  if (rng.Below(2) == 0) name += " " + rng.Pick(kLast);
  return name;
}

std::string Address(Rng& rng) {
  static const std::vector<std::string> kStreets = {
      "Rua Augusta",    "Av. Paulista",         "Rua das Flores",       "Avenida Brasil",
      "Alameda Santos", "Rua Sete de Setembro", "Travessa do Comércio", "Rua XV de Novembro"};
  std::string street = rng.Pick(kStreets);
  std::string number = std::to_string(1 + rng.Below(3000));
  switch (rng.Below(3)) {
    case 0:
      return street + ", " + number;
    case 1:
      return street + ", " + number + " - apto " + std::to_string(1 + rng.Below(200));
    default:
      return street + ", nº " + number + ", São Paulo - SP";
  }
}

std::string BirthDate(Rng& rng, bool iso) {
  int y = 1940 + rng.Below(65), m = 1 + rng.Below(12), d = 1 + rng.Below(28);
  char out[16];
  if (iso) {
    std::snprintf(out, sizeof out, "%04d-%02d-%02d", y, m, d);
  } else {
    std::snprintf(out, sizeof out, "%02d/%02d/%04d", d, m, y);
  }
  return out;
}

std::string Email(Rng& rng) {
  static const std::vector<std::string> kUsers = {
      "ana.souza", "joao_silva", "contato", "r.lima", "financeiro", "m.costa", "Thais.Barros"};
  static const std::vector<std::string> kDomains = {"gmail.com", "empresa.com.br", "uol.com.br",
                                                    "example.org", "mail.co.uk"};
  return rng.Pick(kUsers) + std::to_string(rng.Below(1000)) + "@" + rng.Pick(kDomains);
}

// One column per class, in this order, then the non-PII controls.
const std::vector<std::string> kClasses = {
    "EMAIL",      "CPF",         "CNPJ",           "PHONE",        "CREDIT_CARD",
    "IP_ADDRESS", "PERSON_NAME", "STREET_ADDRESS", "DATE_OF_BIRTH"};
constexpr int kControls = 4;  // amount, recent order date, product code, company name

// Row i of the data set as strings; `variant` changes formats between files.
std::vector<std::string> Row(Rng& rng, int variant) {
  static const std::vector<std::string> kCompanies = {"Silva Comércio Ltda",
                                                      "Costa Importadora S/A", "Almeida & Filhos",
                                                      "Tech Brasil SA", "Ribeiro Distribuidora"};
  char amount[32];
  std::snprintf(amount, sizeof amount, "%d.%02d", rng.Below(100000), rng.Below(100));
  char order[16];
  std::snprintf(order, sizeof order, "2025-%02d-%02d", 1 + rng.Below(12), 1 + rng.Below(28));
  return {Email(rng),
          Cpf(rng, variant == 0),
          Cnpj(rng, variant == 0),
          Phone(rng),
          Card(rng),
          Ip(rng),
          Name(rng),
          Address(rng),
          BirthDate(rng, variant != 1),
          amount,
          order,
          "SKU-" + Digits(rng, 6),
          rng.Pick(kCompanies)};
}

std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

class PiiCrawlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    project_ = dir_.path() + "/proj";
    data_ = dir_.path() + "/exports";
    std::filesystem::create_directories(project_);
    std::filesystem::create_directories(data_ + "/parquet");
    std::ofstream(project_ + "/strata.yaml") << "name: pii\ncatalog: .strata/catalog.db\n";
    size_t columns = kClasses.size() + kControls;
    // CSV: formatted CPFs/CNPJs, ISO birth dates (the sniffer types them DATE).
    Rng rng{0x1234567u};
    std::ofstream csv(data_ + "/cadastro.csv");
    for (size_t c = 0; c < columns; ++c) csv << (c ? "," : "") << "c" << c + 1;
    csv << "\n";
    for (int i = 0; i < kRows; ++i) {
      std::vector<std::string> row = Row(rng, 0);
      for (size_t c = 0; c < row.size(); ++c) csv << (c ? "," : "") << CsvField(row[c]);
      csv << "\n";
    }
    csv.close();
    // NDJSON: bare digits as strings, DD/MM/YYYY birth dates.
    std::ofstream ndjson(data_ + "/clientes.json");
    for (int i = 0; i < kRows; ++i) {
      std::vector<std::string> row = Row(rng, 1);
      json object;
      for (size_t c = 0; c < row.size(); ++c) object["c" + std::to_string(c + 1)] = row[c];
      ndjson << object.dump() << "\n";
    }
    ndjson.close();
    // Parquet, typed the way a warehouse export types them: CPF, CNPJ and card numbers as
    // BIGINT (leading zeros lost), birth dates as DATE. Written by strata sql from a staging CSV
    // outside the crawled folder.
    std::string staging = dir_.path() + "/staging.csv";
    std::ofstream stage(staging);
    for (size_t c = 0; c < columns; ++c) stage << (c ? "," : "") << "c" << c + 1;
    stage << "\n";
    for (int i = 0; i < kRows; ++i) {
      std::vector<std::string> row = Row(rng, 2);
      for (size_t c = 0; c < row.size(); ++c) stage << (c ? "," : "") << CsvField(row[c]);
      stage << "\n";
    }
    stage.close();
    std::string copy =
        "COPY (SELECT c1, c2::BIGINT AS c2, c3::BIGINT AS c3, c4, c5::BIGINT AS c5, c6, c7, c8, "
        "c9::DATE AS c9, c10::DOUBLE AS c10, c11::DATE AS c11, c12, c13 FROM read_csv('" +
        staging + "', header = true, all_varchar = true)) TO '" + data_ +
        "/parquet/contas.parquet' (FORMAT parquet)";
    CommandResult written = RunStrata({"sql", copy});
    ASSERT_EQ(written.exit_code, 0) << written.err;
  }

  // The show --json of one crawled file.
  json Show(const std::string& file) {
    CommandResult show = RunStrata({"catalog", "show", file, "--json", "--project", project_});
    EXPECT_EQ(show.exit_code, 0) << show.err;
    return show.exit_code == 0 ? json::parse(show.out) : json::object();
  }

  void ExpectClassified(const std::string& file) {
    SCOPED_TRACE(file);
    json asset = Show(file);
    ASSERT_TRUE(asset.contains("columns")) << asset.dump();
    std::map<std::string, json> by_name;
    for (const json& c : asset["columns"]) by_name[c["name"]] = c;
    ASSERT_EQ(by_name.size(), kClasses.size() + kControls) << asset.dump();
    for (size_t i = 0; i < kClasses.size(); ++i) {
      std::string column = "c" + std::to_string(i + 1);
      SCOPED_TRACE(column + " should be " + kClasses[i]);
      const json& classes = by_name[column]["classifications"];
      ASSERT_FALSE(classes.empty()) << by_name[column].dump();
      const json& top = classes[0];  // most confident first
      EXPECT_EQ(top["class"], kClasses[i]) << classes.dump();
      EXPECT_EQ(top["status"], "proposed");
      EXPECT_EQ(top["method"], "values");
      EXPECT_GE(top["confidence"].get<double>(), 0.6) << top.dump();
      const json& evidence = top["evidence"];
      EXPECT_EQ(evidence["name_agrees"], false);
      EXPECT_EQ(evidence["sampled"], kRows);
      EXPECT_GE(evidence["matched"].get<int>(), kRows * 8 / 10);
      EXPECT_GE(evidence["ratio"].get<double>(), 0.8);
      ASSERT_FALSE(evidence["examples"].empty());
      // Masked: the catalog keeps no raw PII.
      for (const json& example : evidence["examples"]) {
        EXPECT_NE(example.get<std::string>().find('*'), std::string::npos) << example;
      }
    }
    for (size_t i = kClasses.size(); i < kClasses.size() + kControls; ++i) {
      std::string column = "c" + std::to_string(i + 1);
      EXPECT_TRUE(by_name[column]["classifications"].empty())
          << column << " is not PII: " << by_name[column].dump();
    }
  }

  TempDir dir_;
  std::string project_, data_;
};

TEST_F(PiiCrawlTest, AnonymousColumnsAreClassifiedByTheirValues) {
  CommandResult crawl = RunStrata({"catalog", "crawl", data_, "--json", "--project", project_});
  ASSERT_EQ(crawl.exit_code, 0) << crawl.err;
  json report = json::parse(crawl.out);
  ASSERT_EQ(report["tables"].size(), 3u) << report.dump();
  EXPECT_TRUE(report["skipped"].empty()) << report.dump();
  std::map<std::string, std::string> formats;
  for (const json& t : report["tables"]) formats[t["format"]] = t["name"];
  ASSERT_EQ(formats.size(), 3u) << report.dump();
  ExpectClassified(formats["csv"]);
  ExpectClassified(formats["json"]);
  ExpectClassified(formats["parquet"]);
}

// The same values under a name that says otherwise: the values decide; and a name that says
// "cpf" over values that are not CPFs proposes nothing.
TEST_F(PiiCrawlTest, NamesNeverOverruleValues) {
  std::ofstream csv(data_ + "/enganoso.csv");
  csv << "cpf,observacao\n";
  Rng rng{99};
  for (int i = 0; i < 40; ++i) csv << "SKU-" << Digits(rng, 6) << "," << Email(rng) << "\n";
  csv.close();
  CommandResult crawl = RunStrata({"catalog", "crawl", data_, "--json", "--project", project_});
  ASSERT_EQ(crawl.exit_code, 0) << crawl.err;
  std::string name;
  const json report = json::parse(crawl.out);
  for (const json& t : report["tables"]) {
    if (t["name"].get<std::string>().ends_with("enganoso.csv")) name = t["name"];
  }
  ASSERT_FALSE(name.empty()) << crawl.out;
  json asset = Show(name);
  ASSERT_TRUE(asset.contains("columns")) << asset.dump();
  ASSERT_EQ(asset["columns"].size(), 2u);
  EXPECT_TRUE(asset["columns"][0]["classifications"].empty()) << asset["columns"][0].dump();
  ASSERT_FALSE(asset["columns"][1]["classifications"].empty());
  EXPECT_EQ(asset["columns"][1]["classifications"][0]["class"], "EMAIL");
}

}  // namespace
}  // namespace strata::test
