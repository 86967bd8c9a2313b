// The ImportAu project, unchanged, on a tiny data set made by hand, with every gold number
// worked out by hand below (SPEC: "the same project must run unchanged on any other data set
// that follows the bronze contract").
//
// Rates (BRL per unit; business days only; 2024-02-12/13 are Carnival, no rates):
//            01-05   01-08   01-31   02-09   02-14
//   USD     5.0000  5.2000  4.9500  4.9700  5.0100
//   EUR     5.5000  5.6000  5.3500  5.3700  5.4100
//   CNY     0.7000  0.7100  0.6900  0.6950  0.7000
// Orders:
//   1 USD 2024-01-06 (a Saturday: rate of Fri 01-05 = 5.00); items (1,1) 10 x 100.00, corrected
//     later in the file to 12 x 100.00, and (1,2) 5 x 20.50: 1200.00 + 102.50 = 1302.50 USD
//   2 EUR 2024-01-08 (the day the rate changed: 5.60); item (2,1) 3 x 200.00 = 600.00; item (2,2)
//     names product 999, which does not exist: quarantined, so not in the order's value
//   3 CNY 2024-01-05 (before the 01-08 change: 0.70); first landed as cancelado, corrected later
//     to embarcado (the later row wins); (3,1) 100 x 15.00 = 1500.00 CNY
//   4 USD cancelado: out of silver, and its payment out of gold
//   6 USD 2024-02-14 (5.01); (6,1) 1 x 50.00; no payments
// Payments (base = percentual x order value; "prevista" at the order's rate, "vencimento" at the
// latest rate on or before the due date):
//   1: 0.3 x 1302.50 = 390.75 USD, due 01-10 (rate 01-08 5.20): 1953.75 / 2031.90
//   2: 0.7 x 1302.50 = 911.75 USD, due Sat 02-10 (rate 02-09 4.97): 4558.75 / 4531.3975
//   3: 0.5 x 600 = 300 EUR, due 01-08 (5.60): 1680.00 / 1680.00
//   4: 0.5 x 600 = 300 EUR, due 02-12, a holiday (rate 02-09 5.37): 1680.00 / 1611.00
//   5: 1.0 x 1500 = 1500 CNY, due 01-31 (0.69): 1050.00 / 1035.00
//   6: order 4, cancelled: none
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "pipeline/project_test_util.h"
#include "test_util.h"

namespace strata::test {
namespace {

void WriteLanding(const std::string& landing) {
  std::filesystem::create_directories(landing);
  WriteText(landing + "/clientes.csv",
            "cliente_id,razao_social,cnpj,nome_responsavel,cpf_responsavel,email,telefone,uf\n"
            "1,\"Souza, Lima & Cia Ltda\",11222333000181,Ana Souza,52998224725,"
            "ana@souza-lima.com.br,+55 11 91234-5678,SP\n"
            "2,Beta Comercio Ltda,11444777000161,Bruno Lima,11144477735,bruno@beta.com.br,"
            "+55 21 99876-5432,RJ\n");
  WriteText(landing + "/fornecedores.csv",
            "fornecedor_id,nome,pais,moeda,email_contato\n"
            "10,\"Austin Trading Co., Ltd.\",US,USD,sales10@austin-trading.com\n"
            "20,Hamburg Handel GmbH,DE,EUR,sales20@hamburg-handel.de\n"
            "30,Shenzhen Trading Ltd,CN,CNY,sales30@shenzhen-trading.cn\n");
  WriteText(landing + "/produtos.csv",
            "produto_id,descricao,ncm,categoria,aliquota_ii\n"
            "100,Notebook modelo 1,84713012,Informatica,0.1600\n"
            "200,Roteador modelo 2,85176294,Telecom,0.1200\n");
  WriteText(landing + "/cambio.csv",
            "data,moeda,taxa_brl\n"
            "2024-01-05,USD,5.0000\n2024-01-05,EUR,5.5000\n2024-01-05,CNY,0.7000\n"
            "2024-01-08,USD,5.2000\n2024-01-08,EUR,5.6000\n2024-01-08,CNY,0.7100\n"
            "2024-01-31,USD,4.9500\n2024-01-31,EUR,5.3500\n2024-01-31,CNY,0.6900\n"
            "2024-02-09,USD,4.9700\n2024-02-09,EUR,5.3700\n2024-02-09,CNY,0.6950\n"
            "2024-02-14,USD,5.0100\n2024-02-14,EUR,5.4100\n2024-02-14,CNY,0.7000\n");
  WriteText(landing + "/pedidos.csv",
            "pedido_id,cliente_id,fornecedor_id,data_pedido,moeda,incoterm,status\n"
            "3,1,30,2024-01-05,CNY,FOB,cancelado\n"
            "1,1,10,2024-01-06,USD,FOB,aberto\n"
            "2,2,20,2024-01-08,EUR,CIF,entregue\n"
            "4,2,10,2024-01-08,USD,FOB,cancelado\n"
            "6,1,10,2024-02-14,USD,EXW,aberto\n"
            "3,1,30,2024-01-05,CNY,FOB,embarcado\n");
  WriteText(landing + "/itens_pedido.csv",
            "pedido_id,item_seq,produto_id,quantidade,preco_unitario\n"
            "1,1,100,10,100.00\n1,2,200,5,20.50\n2,1,100,3,200.00\n2,2,999,1,10.00\n"
            "3,1,200,100,15.00\n4,1,100,1,999.00\n6,1,100,1,50.00\n1,1,100,12,100.00\n");
  WriteText(landing + "/pagamentos.csv",
            "pagamento_id,pedido_id,tipo,data_vencimento,percentual,status\n"
            "1,1,adiantamento,2024-01-10,0.300,pago\n2,1,saldo,2024-02-10,0.700,pendente\n"
            "3,2,adiantamento,2024-01-08,0.500,pago\n4,2,saldo,2024-02-12,0.500,pendente\n"
            "5,3,saldo,2024-01-31,1.000,pendente\n6,4,saldo,2024-01-31,1.000,pendente\n");
}

TEST(ImportAuByHandTest, GoldNumbersToTheCent) {
  TempDir dir;
  std::string project = dir.path() + "/importau";
  std::filesystem::copy(std::string(STRATA_SOURCE_DIR) + "/examples/importau", project,
                        std::filesystem::copy_options::recursive);
  WriteLanding(project + "/landing");
  CommandResult r = RunStrata({"run", "--project", project, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json record = ParseRecord(r);

  EXPECT_EQ(SqlRows(project,
                    "SELECT mes, moeda, CAST(round(saida_prevista_brl, 2) AS VARCHAR), "
                    "CAST(round(saida_cambio_vencimento_brl, 2) AS VARCHAR), "
                    "CAST(round(variacao_cambial_brl, 2) AS VARCHAR), n_pagamentos "
                    "FROM gold.agregado_fluxo_de_caixa_mensal ORDER BY mes, moeda"),
            (std::vector<std::string>{
                "2024-01-01,CNY,1050.00,1035.00,-15.00,1",
                "2024-01-01,EUR,1680.00,1680.00,0.00,1",
                "2024-01-01,USD,1953.75,2031.90,78.15,1",
                "2024-02-01,EUR,1680.00,1611.00,-69.00,1",
                "2024-02-01,USD,4558.75,4531.40,-27.35,1",
            }));
  // Features: volume at the order's rate; rate mean and sample deviation per month; the
  // previous month present for the currency.
  //   Jan USD: 1302.50 x 5.00; rates 5.00, 5.20, 4.95 -> mean 5.05, sd sqrt(0.0175)
  //   Jan EUR: 600 x 5.60; rates 5.50, 5.60, 5.35 -> mean 5.48333.., sd sqrt(0.0158333..)
  //   Jan CNY: 1500 x 0.70; rates 0.70, 0.71, 0.69 -> mean 0.70, sd 0.01
  //   Feb USD: 50 x 5.01; rates 4.97, 5.01 -> mean 4.99, sd sqrt(0.0008); lag = Jan's 6512.50
  EXPECT_EQ(SqlRows(project,
                    "SELECT mes, moeda, CAST(volume_brl AS DECIMAL(18,2)), n_pedidos, "
                    "round(taxa_media, 6), round(volatilidade, 6), "
                    "CAST(volume_brl_lag1 AS DECIMAL(18,2)) "
                    "FROM gold.features_risco_cambial ORDER BY mes, moeda"),
            (std::vector<std::string>{
                "2024-01-01,CNY,1050.00,1,0.7,0.01,",
                "2024-01-01,EUR,3360.00,1,5.483333,0.125831,",
                "2024-01-01,USD,6512.50,1,5.05,0.132288,",
                "2024-02-01,USD,250.50,1,4.99,0.028284,6512.50",
            }));
  // The unknown product is quarantined with its rule, and silver + quarantine = the 6
  // distinct items of orders not cancelled.
  EXPECT_EQ(SqlRows(project,
                    "SELECT pedido_id, item_seq, CAST(_rules AS VARCHAR) FROM "
                    "silver.fato_pedido_correlacionado__quarantine"),
            std::vector<std::string>{"2,2,[produto_existe]"});
  EXPECT_EQ(SqlValue(project, "SELECT count(*) FROM silver.fato_pedido_correlacionado"), "5");
  // Bronze keeps both versions of the corrected rows; its key tests warn, never block.
  EXPECT_EQ(SqlValue(project, "SELECT count(*) FROM bronze.pedidos"), "6");
  const nlohmann::json* itens = FindNode(record, "bronze.itens_pedido");
  ASSERT_NE(itens, nullptr);
  EXPECT_EQ((*itens)["status"], "warn");
  const nlohmann::json* silver = FindNode(record, "silver.fato_pedido_correlacionado");
  ASSERT_NE(silver, nullptr);
  EXPECT_EQ((*silver)["rows_written"], 5);
  EXPECT_EQ((*silver)["rows_quarantined"], 1);
  EXPECT_EQ((*silver)["owner"], "time-engenharia");
}

}  // namespace
}  // namespace strata::test
