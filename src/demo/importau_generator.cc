#include "demo/importau_generator.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/civil_date.h"

namespace strata::demo {
namespace {

// SplitMix64: tiny, fast, and fully specified, so the data set is the same everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  int64_t Below(int64_t n) { return static_cast<int64_t>(Next() % static_cast<uint64_t>(n)); }
  // Uniform in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) { return lo + Below(hi - lo + 1); }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[Below(N)];
  }

 private:
  uint64_t state_;
};

// Buffered CSV file written to a temporary name and renamed into place on Commit().
class CsvFile {
 public:
  static Result<std::unique_ptr<CsvFile>> Create(const std::string& path) {
    std::string temp = path + ".tmp";
    FILE* f = std::fopen(temp.c_str(), "wb");
    if (f == nullptr) {
      return Status::IOError("cannot create " + temp + ": " + std::strerror(errno));
    }
    return std::unique_ptr<CsvFile>(new CsvFile(path, temp, f));
  }
  ~CsvFile() {
    if (file_ != nullptr) {
      std::fclose(file_);
      std::remove(temp_.c_str());
    }
  }
  // Appends one line; `line` has no trailing newline.
  void Line(std::string_view line) {
    buffer_.append(line);
    buffer_.push_back('\n');
    ++lines_;
    if (buffer_.size() > (1 << 20)) Drain();
  }
  int64_t data_rows() const { return lines_ - 1; }  // minus the header
  Status Commit() {
    Drain();
    bool ok = !failed_ && std::fflush(file_) == 0;
    ok = std::fclose(file_) == 0 && ok;
    file_ = nullptr;
    if (!ok || std::rename(temp_.c_str(), path_.c_str()) != 0) {
      std::remove(temp_.c_str());
      return Status::IOError("cannot write " + path_ + ": " + std::strerror(errno));
    }
    return Status::OK();
  }

 private:
  CsvFile(std::string path, std::string temp, FILE* file)
      : path_(std::move(path)), temp_(std::move(temp)), file_(file) {}
  void Drain() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size())
      failed_ = true;
    buffer_.clear();
  }
  std::string path_, temp_;
  FILE* file_;
  std::string buffer_;
  int64_t lines_ = 0;
  bool failed_ = false;
};

// Fixed-point decimal with `scale` digits after the point.
std::string Decimal(int64_t units, int scale) {
  bool negative = units < 0;
  uint64_t magnitude = negative ? -static_cast<uint64_t>(units) : static_cast<uint64_t>(units);
  uint64_t pow10 = 1;
  for (int i = 0; i < scale; ++i) pow10 *= 10;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%llu.%0*llu", negative ? "-" : "",
                static_cast<unsigned long long>(magnitude / pow10), scale,
                static_cast<unsigned long long>(magnitude % pow10));
  return buf;
}

std::string Quoted(std::string_view text) {
  if (text.find_first_of(",\"\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Digits(Rng& rng, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out.push_back(static_cast<char>('0' + rng.Below(10)));
  return out;
}

// Lower-case ASCII for e-mail addresses: accented Portuguese letters lose their accent
// ("Araújo" -> "araujo"), anything else that is not a letter or digit is dropped.
std::string Slug(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, char>, 14> kAccents = {{{"á", 'a'},
                                                                                  {"à", 'a'},
                                                                                  {"â", 'a'},
                                                                                  {"ã", 'a'},
                                                                                  {"é", 'e'},
                                                                                  {"ê", 'e'},
                                                                                  {"í", 'i'},
                                                                                  {"ó", 'o'},
                                                                                  {"ô", 'o'},
                                                                                  {"õ", 'o'},
                                                                                  {"ú", 'u'},
                                                                                  {"ü", 'u'},
                                                                                  {"ç", 'c'},
                                                                                  {"Á", 'a'}}};
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    size_t width = 1;
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out.push_back(c);
    } else {
      for (const auto& [accented, plain] : kAccents) {
        if (text.substr(i, accented.size()) == accented) {
          out.push_back(plain);
          width = accented.size();
          break;
        }
      }
    }
    i += width;
  }
  return out;
}

constexpr std::array<std::string_view, 27> kUfs = {
    "SP", "RJ", "MG", "RS", "PR", "SC", "BA", "PE", "CE", "GO", "DF", "ES", "AM", "PA",
    "MT", "MS", "PB", "RN", "AL", "SE", "PI", "MA", "TO", "RO", "AC", "AP", "RR"};
constexpr std::array<std::string_view, 16> kFirstNames = {
    "Ana",     "Bruno", "Carla",   "Diego",  "Eduarda", "Felipe", "Gabriela", "Henrique",
    "Isabela", "João",  "Larissa", "Marcos", "Natália", "Otávio", "Patrícia", "Rafael"};
constexpr std::array<std::string_view, 16> kSurnames = {
    "Silva", "Santos", "Oliveira", "Souza",   "Rodrigues", "Ferreira", "Alves",  "Pereira",
    "Lima",  "Gomes",  "Costa",    "Ribeiro", "Martins",   "Carvalho", "Araújo", "Melo"};
constexpr std::array<std::string_view, 8> kBusiness = {"Comércio",    "Distribuidora", "Indústria",
                                                       "Importadora", "Atacado",       "Tecnologia",
                                                       "Materiais",   "Equipamentos"};

struct Supplier {
  std::string_view country, currency, city;
};
constexpr std::array<Supplier, 10> kSupplierOrigins = {{{"CN", "CNY", "Shenzhen"},
                                                        {"CN", "CNY", "Ningbo"},
                                                        {"CN", "USD", "Guangzhou"},
                                                        {"US", "USD", "Houston"},
                                                        {"US", "USD", "Chicago"},
                                                        {"DE", "EUR", "Hamburg"},
                                                        {"IT", "EUR", "Milano"},
                                                        {"FR", "EUR", "Lyon"},
                                                        {"VN", "USD", "Haiphong"},
                                                        {"ES", "EUR", "Valencia"}}};

struct Category {
  std::string_view name, ncm_prefix;
  int64_t min_price_cents, max_price_cents;
};
constexpr std::array<Category, 8> kCategories = {{{"Eletrônicos", "8517", 500, 90000},
                                                  {"Máquinas", "8479", 20000, 500000},
                                                  {"Têxteis", "6109", 100, 4000},
                                                  {"Autopeças", "8708", 800, 60000},
                                                  {"Químicos", "2915", 300, 15000},
                                                  {"Brinquedos", "9503", 150, 8000},
                                                  {"Ferramentas", "8205", 200, 20000},
                                                  {"Iluminação", "9405", 250, 12000}}};
constexpr std::array<int64_t, 8> kDutyRates = {0, 200, 1000, 1400, 1600, 1800, 2000, 3500};
constexpr std::array<std::string_view, 5> kIncoterms = {"FOB", "CIF", "EXW", "FCA", "DDP"};

// Currencies with their starting rate in BRL ten-thousandths and the rate file's span.
constexpr std::array<std::pair<std::string_view, int64_t>, 3> kCurrencies = {
    {{"USD", 50000}, {"EUR", 54000}, {"CNY", 7000}}};
const int64_t kRatesFrom = DaysFromCivil(2022, 12, 1);
const int64_t kRatesTo = DaysFromCivil(2026, 6, 30);
const int64_t kOrdersFrom = DaysFromCivil(2023, 1, 1);
const int64_t kOrdersDays = 731;  // through 2024-12-31
const int64_t kPaidBefore = DaysFromCivil(2025, 1, 1);

}  // namespace

std::string CpfWithCheckDigits(const std::string& nine_digits) {
  std::string cpf = nine_digits;
  for (int round = 0; round < 2; ++round) {
    int sum = 0, weight = static_cast<int>(cpf.size()) + 1;
    for (char c : cpf) sum += (c - '0') * weight--;
    int rest = sum % 11;
    cpf.push_back(static_cast<char>('0' + (rest < 2 ? 0 : 11 - rest)));
  }
  return cpf;
}

std::string CnpjWithCheckDigits(const std::string& twelve_digits) {
  std::string cnpj = twelve_digits;
  for (int round = 0; round < 2; ++round) {
    int sum = 0;
    int weight = static_cast<int>(cnpj.size()) - 7;  // 5 for 12 digits, 6 for 13
    for (char c : cnpj) {
      sum += (c - '0') * weight;
      weight = weight == 2 ? 9 : weight - 1;
    }
    int rest = sum % 11;
    cnpj.push_back(static_cast<char>('0' + (rest < 2 ? 0 : 11 - rest)));
  }
  return cnpj;
}

namespace {

// Everything the tables share while being generated.
struct Generator {
  const ImportAuOptions& options;
  std::string directory;
  ImportAuCounts counts;
  int64_t n_clientes, n_fornecedores, n_produtos, n_pedidos;
  std::vector<uint8_t> supplier_currency;  // index into kCurrencies, by fornecedor_id - 1
  std::vector<int64_t> order_day;          // data_pedido, by pedido_id - 1

  // A generator per file, so one file's content does not depend on how many random numbers
  // another file drew.
  Rng RngFor(uint64_t table) const { return Rng(options.seed * 1000003 + table); }
  bool Dirty(Rng& rng, double p) {
    if (!options.dirty || !rng.Chance(p)) return false;
    ++counts.dirty_rows;
    return true;
  }
  Result<std::unique_ptr<CsvFile>> Open(std::string_view name, std::string_view header) {
    STRATA_ASSIGN_OR_RETURN(auto file, CsvFile::Create(directory + "/" + std::string(name)));
    file->Line(header);
    return file;
  }
};

Status WriteClientes(Generator& g) {
  Rng rng = g.RngFor(1);
  STRATA_ASSIGN_OR_RETURN(
      auto file,
      g.Open("clientes.csv",
             "cliente_id,razao_social,cnpj,nome_responsavel,cpf_responsavel,email,telefone,uf"));
  for (int64_t id = 1; id <= g.n_clientes; ++id) {
    std::string_view surname = rng.Pick(kSurnames), other = rng.Pick(kSurnames);
    std::string company =
        rng.Chance(0.3) ? std::string(surname) + ", " + std::string(other) + " & Cia Ltda"
                        : std::string(rng.Pick(kBusiness)) + " " + std::string(surname) + " Ltda";
    std::string first(rng.Pick(kFirstNames)), last(rng.Pick(kSurnames));
    std::string email =
        Slug(first) + "." + Slug(last) + std::to_string(id) + "@" + Slug(other) + "-empresa.com.br";
    std::string phone =
        "+55 " + std::to_string(rng.Between(11, 99)) + " 9" + Digits(rng, 4) + "-" + Digits(rng, 4);
    std::string line = std::to_string(id) + "," + Quoted(company) + "," +
                       CnpjWithCheckDigits(Digits(rng, 8) + "0001") + "," + first + " " + last +
                       "," + CpfWithCheckDigits(Digits(rng, 9)) + "," + email + "," + phone;
    if (!g.Dirty(rng, 0.002)) line += "," + std::string(rng.Pick(kUfs));  // else: a field short
    file->Line(line);
  }
  g.counts.clientes = file->data_rows();
  return file->Commit();
}

Status WriteFornecedores(Generator& g) {
  Rng rng = g.RngFor(2);
  STRATA_ASSIGN_OR_RETURN(
      auto file, g.Open("fornecedores.csv", "fornecedor_id,nome,pais,moeda,email_contato"));
  for (int64_t id = 1; id <= g.n_fornecedores; ++id) {
    const Supplier& origin = rng.Pick(kSupplierOrigins);
    std::string name = std::string(origin.city) + " " + std::string(rng.Pick(kCategories).name) +
                       " Trading " + std::to_string(id) + " Co., Ltd.";
    uint8_t currency = 0;
    for (uint8_t c = 0; c < kCurrencies.size(); ++c) {
      if (kCurrencies[c].first == origin.currency) currency = c;
    }
    g.supplier_currency.push_back(currency);
    file->Line(std::to_string(id) + "," + Quoted(name) + "," + std::string(origin.country) + "," +
               std::string(origin.currency) + ",sales" + std::to_string(id) + "@" +
               Slug(origin.city) + "-trading.com");
  }
  g.counts.fornecedores = file->data_rows();
  return file->Commit();
}

Status WriteProdutos(Generator& g) {
  Rng rng = g.RngFor(3);
  STRATA_ASSIGN_OR_RETURN(auto file,
                          g.Open("produtos.csv", "produto_id,descricao,ncm,categoria,aliquota_ii"));
  for (int64_t id = 1; id <= g.n_produtos; ++id) {
    const Category& category = rng.Pick(kCategories);
    std::string rate = g.Dirty(rng, 0.001) ? "n/a" : Decimal(rng.Pick(kDutyRates), 4);
    file->Line(std::to_string(id) + "," + std::string(category.name) + " modelo " +
               std::to_string(rng.Between(100, 9999)) + "," + std::string(category.ncm_prefix) +
               Digits(rng, 4) + "," + std::string(category.name) + "," + rate);
  }
  g.counts.produtos = file->data_rows();
  return file->Commit();
}

Status WritePedidos(Generator& g) {
  Rng rng = g.RngFor(4);
  STRATA_ASSIGN_OR_RETURN(
      auto file, g.Open("pedidos.csv",
                        "pedido_id,cliente_id,fornecedor_id,data_pedido,moeda,incoterm,status"));
  for (int64_t id = 1; id <= g.n_pedidos; ++id) {
    int64_t fornecedor = rng.Between(1, g.n_fornecedores);
    int64_t day = kOrdersFrom + rng.Below(kOrdersDays);
    int64_t cliente = rng.Between(1, g.n_clientes);
    std::string date = FormatDate(day);
    if (g.Dirty(rng, 0.003)) {
      switch (rng.Below(3)) {
        case 0:
          date = "2024-02-30";
          break;  // not a date
        case 1:
          cliente = g.n_clientes + 1000 + id;
          break;  // unknown client
        default:
          day = DaysFromCivil(2022, 6, 15);
          date = FormatDate(day);  // before any rate
      }
    }
    g.order_day.push_back(day);
    int64_t roll = rng.Below(100);
    std::string_view status = roll < 15   ? "aberto"
                              : roll < 40 ? "embarcado"
                              : roll < 90 ? "entregue"
                                          : "cancelado";
    file->Line(std::to_string(id) + "," + std::to_string(cliente) + "," +
               std::to_string(fornecedor) + "," + date + "," +
               std::string(kCurrencies[g.supplier_currency[fornecedor - 1]].first) + "," +
               std::string(rng.Pick(kIncoterms)) + "," + std::string(status));
  }
  g.counts.pedidos = file->data_rows();
  return file->Commit();
}

Status WriteItens(Generator& g) {
  Rng rng = g.RngFor(5);
  STRATA_ASSIGN_OR_RETURN(
      auto file,
      g.Open("itens_pedido.csv", "pedido_id,item_seq,produto_id,quantidade,preco_unitario"));
  for (int64_t pedido = 1; pedido <= g.n_pedidos; ++pedido) {
    int64_t items = rng.Between(1, 7);
    for (int64_t seq = 1; seq <= items; ++seq) {
      int64_t produto = rng.Between(1, g.n_produtos);
      const Category& category = kCategories[produto % kCategories.size()];
      int64_t quantity = rng.Between(1, 500);
      std::string price =
          Decimal(rng.Between(category.min_price_cents, category.max_price_cents), 2);
      std::string extra;
      if (g.Dirty(rng, 0.004)) {
        switch (rng.Below(5)) {
          case 0:
            quantity = -rng.Below(5);
            break;  // breaks quantidade > 0
          case 1:
            price = "\"" + price.replace(price.find('.'), 1, ",") + "\"";
            break;  // 12,50
          case 2:
            produto = g.n_produtos + 5000 + pedido;
            break;  // unknown product
          case 3:
            extra = ",obs";
            break;  // a field too many
          default:  // a first, wrong version of the row; the corrected one follows
            file->Line(std::to_string(pedido) + "," + std::to_string(seq) + "," +
                       std::to_string(produto) + "," + std::to_string(quantity * 10) + "," + price);
        }
      }
      file->Line(std::to_string(pedido) + "," + std::to_string(seq) + "," +
                 std::to_string(produto) + "," + std::to_string(quantity) + "," + price + extra);
    }
  }
  g.counts.itens_pedido = file->data_rows();
  return file->Commit();
}

Status WriteCambio(Generator& g) {
  Rng rng = g.RngFor(6);
  STRATA_ASSIGN_OR_RETURN(auto file, g.Open("cambio.csv", "data,moeda,taxa_brl"));
  std::vector<std::string> corrections;
  std::array<double, kCurrencies.size()> rate{};
  for (size_t c = 0; c < kCurrencies.size(); ++c) rate[c] = kCurrencies[c].second;
  for (int64_t day = kRatesFrom; day <= kRatesTo; ++day) {
    if (Weekday(day) >= 5) continue;  // business days only
    for (size_t c = 0; c < kCurrencies.size(); ++c) {
      // A multiplicative random walk, about 0.6% a day, pulled gently back to its start.
      double shock = (rng.Unit() + rng.Unit() + rng.Unit() - 1.5) * 0.012;
      double pull = (kCurrencies[c].second - rate[c]) / kCurrencies[c].second * 0.01;
      rate[c] *= 1.0 + shock + pull;
      int64_t units = static_cast<int64_t>(rate[c] + 0.5);
      std::string prefix = FormatDate(day) + "," + std::string(kCurrencies[c].first) + ",";
      if (g.Dirty(rng, 0.002)) {
        // Published wrong, corrected later in the file: the later row must win.
        file->Line(prefix + Decimal(units * 2, 4));
        corrections.push_back(prefix + Decimal(units, 4));
      } else {
        file->Line(prefix + Decimal(units, 4));
      }
    }
  }
  for (const std::string& line : corrections) file->Line(line);
  if (g.options.dirty) {
    file->Line("2024-02-30,USD,5.0000");
    ++g.counts.dirty_rows;
  }
  g.counts.cambio = file->data_rows();
  return file->Commit();
}

Status WritePagamentos(Generator& g) {
  Rng rng = g.RngFor(7);
  STRATA_ASSIGN_OR_RETURN(
      auto file,
      g.Open("pagamentos.csv", "pagamento_id,pedido_id,tipo,data_vencimento,percentual,status"));
  int64_t id = 0;
  auto emit = [&](int64_t pedido, std::string_view tipo, int64_t due, int64_t permille) {
    std::string percent = g.Dirty(rng, 0.001) ? "abc" : Decimal(permille, 3);
    file->Line(std::to_string(++id) + "," + std::to_string(pedido) + "," + std::string(tipo) + "," +
               FormatDate(due) + "," + percent + "," + (due < kPaidBefore ? "pago" : "pendente"));
  };
  for (int64_t pedido = 1; pedido <= g.n_pedidos; ++pedido) {
    int64_t day = g.order_day[pedido - 1];
    switch (rng.Below(3)) {
      case 0:  // all at the end
        emit(pedido, "saldo", day + rng.Between(60, 180), 1000);
        break;
      case 1:  // 30% up front, the rest on delivery
        emit(pedido, "adiantamento", day + rng.Between(0, 30), 300);
        emit(pedido, "saldo", day + rng.Between(60, 180), 700);
        break;
      default:  // 20% up front, two instalments
        emit(pedido, "adiantamento", day + rng.Between(0, 15), 200);
        emit(pedido, "saldo", day + rng.Between(45, 90), 400);
        emit(pedido, "saldo", day + rng.Between(91, 180), 400);
    }
  }
  g.counts.pagamentos = file->data_rows();
  return file->Commit();
}

}  // namespace

Result<ImportAuCounts> GenerateImportAu(const std::string& directory,
                                        const ImportAuOptions& options) {
  if (options.scale < 1) {
    return Status::InvalidArgument("scale must be at least 1, got " +
                                   std::to_string(options.scale));
  }
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return Status::IOError("cannot create " + directory + ": " + error.message());
  Generator g{options,
              directory,
              {},
              2000LL * options.scale,
              150LL * options.scale,
              800LL * options.scale,
              25000LL * options.scale,
              {},
              {}};
  STRATA_RETURN_IF_ERROR(WriteClientes(g));
  STRATA_RETURN_IF_ERROR(WriteFornecedores(g));
  STRATA_RETURN_IF_ERROR(WriteProdutos(g));
  STRATA_RETURN_IF_ERROR(WritePedidos(g));
  STRATA_RETURN_IF_ERROR(WriteItens(g));
  STRATA_RETURN_IF_ERROR(WriteCambio(g));
  STRATA_RETURN_IF_ERROR(WritePagamentos(g));
  return g.counts;
}

}  // namespace strata::demo
