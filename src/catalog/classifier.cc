// GCC 12 reports a false -Wmaybe-uninitialized inside std::regex's std::function members when
// optimising with sanitizers (GCC bug 105562); it must be silenced before any header.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "catalog/classifier.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "catalog/text.h"

namespace strata::catalog {
namespace {

std::string DigitsOf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out;
}

bool AllOf(std::string_view text, const char* allowed_extra) {
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && !std::strchr(allowed_extra, c))
      return false;
  }
  return true;
}

bool AllSameDigit(const std::string& digits) {
  return std::all_of(digits.begin(), digits.end(), [&](char c) { return c == digits[0]; });
}

// Check digit for CPF/CNPJ: sum of digit * weight, mod 11; < 2 -> 0, else 11 - r.
int CheckDigit(const std::string& digits, size_t count, const std::vector<int>& weights) {
  int sum = 0;
  for (size_t i = 0; i < count; ++i) sum += (digits[i] - '0') * weights[i];
  int r = sum % 11;
  return r < 2 ? 0 : 11 - r;
}

std::string Trim(std::string_view text) {
  size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(b, e - b + 1));
}

// First names common in Brazil and in English-speaking countries, folded (no accents).
const std::set<std::string>& FirstNames() {
  static const std::set<std::string> kNames = {
      "ana",      "antonio",    "adriana",   "alessandra", "alexandre", "aline",     "amanda",
      "andre",    "andrea",     "beatriz",   "bruna",      "bruno",     "camila",    "carla",
      "carlos",   "cesar",      "claudia",   "daniel",     "daniela",   "diego",     "douglas",
      "eduarda",  "eduardo",    "elaine",    "fabio",      "felipe",    "fernanda",  "fernando",
      "flavia",   "francisco",  "gabriel",   "gabriela",   "guilherme", "gustavo",   "helena",
      "henrique", "igor",       "isabela",   "isabel",     "jessica",   "joao",      "jorge",
      "jose",     "julia",      "juliana",   "larissa",    "leonardo",  "leticia",   "lucas",
      "luiz",     "luis",       "luana",     "marcelo",    "marcos",    "marcia",    "maria",
      "mariana",  "mateus",     "matheus",   "natalia",    "otavio",    "patricia",  "paulo",
      "pedro",    "priscila",   "rafael",    "rafaela",    "renata",    "ricardo",   "roberto",
      "rodrigo",  "sandra",     "sergio",    "tatiana",    "thiago",    "tiago",     "vanessa",
      "vinicius", "vitor",      "victor",    "john",       "james",     "robert",    "michael",
      "william",  "david",      "richard",   "joseph",     "thomas",    "charles",   "mary",
      "jennifer", "linda",      "elizabeth", "susan",      "sarah",     "karen",     "nancy",
      "lisa",     "emma",       "olivia",    "sophia",     "liam",      "noah",      "oliver",
      "peter",    "paul",       "anna",      "laura",      "marie",     "rogerio",   "thais",
      "claudio",  "marcio",     "simone",    "raquel",     "luciana",   "katia",     "edson",
      "gilberto", "rosangela",  "valdir",    "denise",     "everton",   "jaqueline", "reginaldo",
      "tania",    "wellington", "cristiane", "cristina",   "adriano",   "alberto",   "alex",
      "alice",    "arthur",     "benedito",  "bernardo",   "caio",      "carolina",  "cecilia",
      "celia",    "cintia",     "debora",    "edilson",    "elisa",     "emerson",   "enzo",
      "fabiana",  "fatima",     "gabriele",  "geraldo",    "giovana",   "gisele",    "heitor",
      "helio",    "hugo",       "ivone",     "jefferson",  "joana",     "josefa",    "julio",
      "karina",   "lais",       "leandro",   "lorena",     "lourdes",   "lucia",     "luciano",
      "manoel",   "manuel",     "marco",     "mario",      "marta",     "miguel",    "milena",
      "monica",   "murilo",     "nelson",    "osvaldo",    "paula",     "raimundo",  "regina",
      "renato",   "rita",       "rosa",      "rubens",     "samuel",    "sebastiao", "silvia",
      "sonia",    "sueli",      "valeria",   "vera",       "wagner",    "walter",    "yasmin",
      "george",   "kevin",      "brian",     "jason",      "matthew",   "anthony",   "steven",
      "andrew",   "emily",      "jessica",   "ashley",     "amanda",    "megan",     "rachel",
      "hannah",   "grace",      "chloe",     "lucy",       "jack",      "harry"};
  return kNames;
}

// Surnames common in Brazil and in English-speaking countries, folded. A name whose last word is
// one of these is a person's even when the first name is not in the list above.
const std::set<std::string>& Surnames() {
  static const std::set<std::string> kSurnames = {
      "silva",    "santos",   "oliveira",   "souza",     "sousa",      "rodrigues", "ferreira",
      "alves",    "pereira",  "lima",       "gomes",     "costa",      "ribeiro",   "martins",
      "carvalho", "almeida",  "lopes",      "soares",    "fernandes",  "vieira",    "barbosa",
      "rocha",    "dias",     "nascimento", "andrade",   "moreira",    "nunes",     "marques",
      "machado",  "mendes",   "freitas",    "cardoso",   "ramos",      "goncalves", "santana",
      "teixeira", "araujo",   "pinto",      "correia",   "cavalcanti", "monteiro",  "moura",
      "barros",   "nogueira", "campos",     "batista",   "castro",     "melo",      "miranda",
      "cunha",    "farias",   "reis",       "duarte",    "azevedo",    "bezerra",   "borges",
      "brito",    "cruz",     "fonseca",    "guimaraes", "jesus",      "leite",     "medeiros",
      "pires",    "prado",    "queiroz",    "rezende",   "sampaio",    "siqueira",  "tavares",
      "xavier",   "smith",    "johnson",    "williams",  "brown",      "jones",     "miller",
      "davis",    "garcia",   "wilson",     "anderson",  "taylor",     "thomas",    "moore",
      "jackson",  "martin",   "lee",        "thompson",  "white",      "harris",    "clark",
      "lewis",    "walker",   "hall",       "young",     "king",       "wright",    "scott"};
  return kSurnames;
}

// Words that start place names, streets and businesses, never a person's name.
const std::set<std::string>& NonPersonLeads() {
  static const std::set<std::string> kLeads = {
      "rua",    "avenida", "av",    "alameda", "travessa", "praca", "rodovia",  "estrada", "largo",
      "loja",   "banco",   "hotel", "escola",  "colegio",  "posto", "farmacia", "mercado", "street",
      "avenue", "road",    "the",   "bank",    "store",    "grupo", "instituto"};
  return kLeads;
}

const std::set<std::string>& CompanyWords() {
  static const std::set<std::string> kWords = {
      "ltda",    "sa",       "s/a",       "me",          "eireli",       "cia", "inc",
      "llc",     "ltd",      "co",        "corp",        "gmbh",         "spa", "srl",
      "company", "comercio", "industria", "importadora", "distribuidora"};
  return kWords;
}

struct Detector {
  std::string class_name;
  std::vector<std::string> name_hints;  // folded words of column names
  std::function<bool(std::string_view)> matches;
  double values_only_cap = 1.0;  // confidence ceiling when the name does not agree
};

bool NameAgrees(const std::vector<std::string>& words, const std::vector<std::string>& hints) {
  for (const std::string& w : words) {
    for (const std::string& h : hints) {
      if (w == h || (h.size() >= 4 && w.starts_with(h))) return true;
    }
  }
  return false;
}

}  // namespace

bool IsValidCpf(std::string_view text) {
  std::string t = Trim(text);
  if (!AllOf(t, ".-")) return false;
  std::string d = DigitsOf(t);
  if (d.size() != 11 || AllSameDigit(d)) return false;
  if (t.size() != 11 && !(t.size() == 14 && t[3] == '.' && t[7] == '.' && t[11] == '-'))
    return false;
  int d1 = CheckDigit(d, 9, {10, 9, 8, 7, 6, 5, 4, 3, 2});
  int d2 = CheckDigit(d, 10, {11, 10, 9, 8, 7, 6, 5, 4, 3, 2});
  return d[9] - '0' == d1 && d[10] - '0' == d2;
}

bool IsValidCnpj(std::string_view text) {
  std::string t = Trim(text);
  if (!AllOf(t, "./-")) return false;
  std::string d = DigitsOf(t);
  if (d.size() != 14 || AllSameDigit(d)) return false;
  if (t.size() != 14 &&
      !(t.size() == 18 && t[2] == '.' && t[6] == '.' && t[10] == '/' && t[15] == '-')) {
    return false;
  }
  int d1 = CheckDigit(d, 12, {5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2});
  int d2 = CheckDigit(d, 13, {6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2});
  return d[12] - '0' == d1 && d[13] - '0' == d2;
}

bool PassesLuhn(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool double_it = false;
  for (size_t i = digits.size(); i-- > 0;) {
    if (digits[i] < '0' || digits[i] > '9') return false;
    int v = digits[i] - '0';
    if (double_it) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
    sum += v;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

bool IsCreditCard(std::string_view text) {
  std::string t = Trim(text);
  if (!AllOf(t, " -")) return false;
  std::string d = DigitsOf(t);
  if (d.size() < 13 || d.size() > 19 || AllSameDigit(d)) return false;
  // Visa 4, Mastercard 51-55 / 2221-2720, Amex 34/37, Diners 36/38, Discover/Elo/Hipercard 6,
  // JCB 35.
  bool issuer =
      d[0] == '4' || (d[0] == '5' && d[1] >= '1' && d[1] <= '5') || d[0] == '6' ||
      (d[0] == '3' && (d[1] == '4' || d[1] == '5' || d[1] == '6' || d[1] == '7' || d[1] == '8')) ||
      (d[0] == '2' && d[1] >= '2' && d[1] <= '7');
  return issuer && PassesLuhn(d);
}

bool IsEmail(std::string_view text) {
  static const std::regex kEmail(
      R"([A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24})");
  std::string t = Trim(text);
  return t.size() <= 254 && std::regex_match(t, kEmail);
}

bool IsPhone(std::string_view text) {
  std::string t = Trim(text);
  if (t.empty() || t.size() > 24) return false;
  static const std::regex kBrazil(R"((\+55[ -]?)?\(?[1-9][0-9]\)?[ -]?9?[0-9]{4}[ -]?[0-9]{4})");
  static const std::regex kE164(R"(\+[1-9][0-9 ().-]{6,20})");
  std::string d = DigitsOf(t);
  bool formatted = t.find_first_of("+ ()-") != std::string::npos;
  if (!formatted) return false;  // bare digit runs are ids, CPFs, amounts... not phones
  if (t[0] == '+') return d.size() >= 8 && d.size() <= 15 && std::regex_match(t, kE164);
  return (d.size() == 10 || d.size() == 11) && std::regex_match(t, kBrazil);
}

bool IsIpAddress(std::string_view text) {
  std::string t = Trim(text);
  unsigned char buffer[16];
  if (t.find(':') != std::string::npos) return inet_pton(AF_INET6, t.c_str(), buffer) == 1;
  // inet_pton's IPv4 form is exactly dotted-quad decimal.
  return inet_pton(AF_INET, t.c_str(), buffer) == 1;
}

bool IsPersonName(std::string_view text) {
  std::string t = Trim(text);
  if (t.size() < 5 || t.size() > 80) return false;
  for (char c : t) {
    if (std::isdigit(static_cast<unsigned char>(c)) || std::strchr("@/&,;:()_", c)) return false;
  }
  std::vector<std::string> words = Words(t);
  if (words.size() < 2 || words.size() > 6) return false;
  // A known first name, or a known surname at the end ("Wellington de Moura").
  if (!FirstNames().contains(words[0]) && !Surnames().contains(words.back())) return false;
  if (NonPersonLeads().contains(words[0])) return false;
  for (const std::string& w : words) {
    if (CompanyWords().contains(w)) return false;
  }
  // Each word of the original starts with a capital letter, except Portuguese particles.
  static const std::set<std::string> kParticles = {"de",  "da", "do",  "das",
                                                   "dos", "e",  "van", "von"};
  size_t start = 0;
  for (const std::string& w : words) {
    size_t at = t.find_first_not_of(" '.-", start);
    if (at == std::string::npos) break;
    unsigned char first = static_cast<unsigned char>(t[at]);
    if (!kParticles.contains(w) && first < 0x80 && !std::isupper(first)) return false;
    start = t.find_first_of(" '-", at);
    if (start == std::string::npos) break;
  }
  return true;
}

bool IsStreetAddress(std::string_view text) {
  static const std::regex kLeading(
      R"((rua|r\.|avenida|av\.?|alameda|al\.|travessa|tv\.|praca|rodovia|estrada|largo|)"
      R"(street|st\.?|avenue|ave\.?|road|rd\.?|boulevard|blvd\.?|lane|ln\.?)\s+[a-z0-9 .'-]+[, ]+)"
      R"((n[^0-9 ]{0,3}\s*)?[0-9]+[a-z]?\b.*)");  // "n 12", "no 12", "nº 12"
  static const std::regex kTrailing(
      R"([0-9]+[a-z]?\s+[a-z0-9 .'-]+\s(street|st\.?|avenue|ave\.?|road|rd\.?|boulevard|blvd\.?|)"
      R"(lane|ln\.?|drive|dr\.?|way|court|ct\.?)\b.*)");
  std::string t = FoldText(Trim(text));
  if (t.size() < 6 || t.size() > 200) return false;
  return std::regex_match(t, kLeading) || std::regex_match(t, kTrailing);
}

namespace {

// The year of a YYYY-MM-DD or DD/MM/YYYY date (optionally followed by a time); 0 if not a date.
int DateYear(std::string_view text) {
  std::string t = Trim(text);
  int y = 0, m = 0, d = 0;
  if (t.size() >= 10 && t[4] == '-' && t[7] == '-') {
    if (std::sscanf(t.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return 0;
  } else if (t.size() >= 10 && t[2] == '/' && t[5] == '/') {
    if (std::sscanf(t.c_str(), "%2d/%2d/%4d", &d, &m, &y) != 3) return 0;
  } else {
    return 0;
  }
  return m < 1 || m > 12 || d < 1 || d > 31 ? 0 : y;
}

}  // namespace

bool IsBirthDate(std::string_view text, int today_year) {
  int y = DateYear(text);
  int age = today_year - y;
  return y != 0 && age >= 16 && age <= 110;
}

std::string MaskValue(std::string_view text) {
  std::string out(text.substr(0, 64));
  for (size_t i = 1; i + 2 < out.size(); ++i) {
    if (std::isalnum(static_cast<unsigned char>(out[i])) ||
        static_cast<unsigned char>(out[i]) >= 0x80) {
      out[i] = '*';
    }
  }
  return out;
}

Result<std::vector<Classification>> ClassifyColumn(const ColumnSample& column,
                                                   const ClassifierOptions& options) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  int year = tm.tm_year + 1900;
  // An integer column (a CSV read without types) has lost the leading zeros of its ids.
  std::string type = FoldText(column.type);
  bool integer = type.find("int") != std::string::npos;
  auto padded = [integer](std::string_view v, size_t width, size_t min_width) {
    std::string t = Trim(v);
    if (!integer || t.size() >= width || t.size() < min_width) return t;
    return std::string(width - t.size(), '0') + t;
  };
  std::vector<Detector> detectors = {
      {"CPF", {"cpf"}, [&](std::string_view v) { return IsValidCpf(padded(v, 11, 9)); }},
      {"CNPJ", {"cnpj"}, [&](std::string_view v) { return IsValidCnpj(padded(v, 14, 12)); }},
      {"EMAIL", {"email", "mail", "correio"}, IsEmail},
      {"PHONE", {"telefone", "fone", "phone", "celular", "tel", "mobile", "whatsapp"}, IsPhone},
      {"CREDIT_CARD", {"cartao", "card", "cc", "pan"}, IsCreditCard},
      {"IP_ADDRESS", {"ip", "ipv4", "ipv6", "endereco_ip"}, IsIpAddress},
      {"PERSON_NAME", {"nome", "name", "responsavel"}, IsPersonName},
      {"STREET_ADDRESS", {"endereco", "logradouro", "address", "rua", "street"}, IsStreetAddress},
      {"DATE_OF_BIRTH",
       {"nascimento", "nasc", "birth", "dob", "aniversario", "birthday"},
       [year](std::string_view v) { return IsBirthDate(v, year); },
       0.5},
  };
  for (const CustomPattern& pattern : options.custom) {
    std::shared_ptr<std::regex> re;
    try {
      re = std::make_shared<std::regex>(pattern.regex, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return Status::InvalidArgument("custom pattern " + pattern.name + ": bad regex '" +
                                     pattern.regex + "': " + e.what());
    }
    std::vector<std::string> hints;
    for (const std::string& h : pattern.name_hints) {
      for (std::string& w : Words(h)) hints.push_back(std::move(w));
    }
    detectors.push_back({pattern.name, hints, [re](std::string_view v) {
                           return std::regex_match(v.begin(), v.end(), *re);
                         }});
  }

  std::vector<std::string> name_words = Words(column.name);
  std::vector<std::string> values;
  for (const std::string& v : column.values) {
    if (!Trim(v).empty()) values.push_back(v);
  }
  std::vector<Classification> out;
  bool enough = static_cast<int>(values.size()) >= options.min_values;
  for (const Detector& detector : detectors) {
    bool name_agrees = NameAgrees(name_words, detector.name_hints);
    nlohmann::json evidence;
    evidence["name_agrees"] = name_agrees;
    if (!enough) {
      if (!name_agrees) continue;
      evidence["sampled"] = values.size();
      evidence["note"] = "too few values to judge; proposed from the column name only";
      out.push_back({detector.class_name, 0.4, "name", evidence.dump()});
      continue;
    }
    size_t matched = 0;
    nlohmann::json examples = nlohmann::json::array();
    for (const std::string& v : values) {
      if (!detector.matches(v)) continue;
      ++matched;
      if (examples.size() < 3) examples.push_back(MaskValue(v));
    }
    double ratio = static_cast<double>(matched) / static_cast<double>(values.size());
    if (ratio < options.min_ratio) continue;  // the values disagree, whatever the name says
    double confidence = 0.5 + 0.4 * (ratio - options.min_ratio) / (1.0 - options.min_ratio + 1e-9);
    if (name_agrees) confidence += 0.1;
    double cap = detector.values_only_cap;
    if (detector.class_name == "DATE_OF_BIRTH") {
      // Dates of events (orders, contracts) cluster within the years a business has run; the
      // birth dates of a set of people spread over generations. A spread of 20+ years is the
      // values' own evidence of birth dates, so they may stand without the column name.
      int low = 9999, high = 0;
      for (const std::string& v : values) {
        if (int y = DateYear(v); y != 0 && detector.matches(v)) {
          low = std::min(low, y);
          high = std::max(high, y);
        }
      }
      int span = high >= low ? high - low : 0;
      evidence["year_span"] = span;
      if (span >= 20) cap = 0.8;
    }
    if (!name_agrees) confidence = std::min(confidence, cap);
    confidence = std::clamp(confidence, 0.0, 1.0);
    evidence["sampled"] = values.size();
    evidence["matched"] = matched;
    evidence["ratio"] = std::round(ratio * 1000) / 1000;
    evidence["examples"] = examples;
    out.push_back(
        {detector.class_name, std::round(confidence * 1000) / 1000, "values", evidence.dump()});
  }
  std::stable_sort(out.begin(), out.end(), [](const Classification& a, const Classification& b) {
    return a.confidence > b.confidence;
  });
  return out;
}

}  // namespace strata::catalog
