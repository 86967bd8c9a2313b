WITH pagamentos AS (
  SELECT * FROM bronze.pagamentos
  QUALIFY row_number() OVER (PARTITION BY pagamento_id
                             ORDER BY _ingested_at DESC, _source_file DESC, _source_row DESC) = 1
),
-- Orders present in silver, with their value in the order's currency and the rate of their
-- order date (the same for every item of an order).
pedidos AS (
  SELECT pedido_id,
         any_value(moeda) AS moeda,
         any_value(taxa_brl) AS taxa_pedido,
         sum(valor_moeda) AS valor_moeda
  FROM silver.fato_pedido_correlacionado
  GROUP BY pedido_id
),
cambio AS (
  SELECT data, moeda, taxa_brl FROM bronze.cambio
  QUALIFY row_number() OVER (PARTITION BY data, moeda
                             ORDER BY _ingested_at DESC, _source_file DESC, _source_row DESC) = 1
),
-- The latest business-day rate on or before each calendar day, joined by equality.
dias AS (
  SELECT CAST(unnest(generate_series(
           (SELECT min(data) FROM cambio),
           greatest((SELECT max(data) FROM cambio),
                    (SELECT max(data_vencimento) FROM pagamentos)),
           INTERVAL 1 DAY)) AS DATE) AS dia
),
taxa_diaria AS (
  SELECT moedas.moeda, dias.dia,
         last_value(cambio.taxa_brl IGNORE NULLS)
           OVER (PARTITION BY moedas.moeda ORDER BY dias.dia
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS taxa_brl
  FROM (SELECT DISTINCT moeda FROM cambio) AS moedas
  CROSS JOIN dias
  LEFT JOIN cambio ON cambio.moeda = moedas.moeda AND cambio.data = dias.dia
),
saidas AS (
  SELECT CAST(date_trunc('month', pagamentos.data_vencimento) AS DATE) AS mes,
         pedidos.moeda,
         pagamentos.percentual * pedidos.valor_moeda * pedidos.taxa_pedido AS prevista,
         pagamentos.percentual * pedidos.valor_moeda * taxa_diaria.taxa_brl AS no_vencimento
  FROM pagamentos
  JOIN pedidos ON pedidos.pedido_id = pagamentos.pedido_id
  LEFT JOIN taxa_diaria ON taxa_diaria.moeda = pedidos.moeda
                       AND taxa_diaria.dia = pagamentos.data_vencimento
)
SELECT mes,
       moeda,
       sum(prevista) AS saida_prevista_brl,
       sum(no_vencimento) AS saida_cambio_vencimento_brl,
       sum(no_vencimento) - sum(prevista) AS variacao_cambial_brl,
       count(*) AS n_pagamentos
FROM saidas
GROUP BY mes, moeda
