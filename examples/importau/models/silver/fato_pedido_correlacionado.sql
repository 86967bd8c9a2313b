-- The latest version of every key: bronze keeps every row ever landed, and a key that arrives
-- again (a corrected file, a re-sent row) supersedes the earlier one.
WITH itens AS (
  SELECT * FROM bronze.itens_pedido
  QUALIFY row_number() OVER (PARTITION BY pedido_id, item_seq
                             ORDER BY _ingested_at DESC, _source_file DESC, _source_row DESC) = 1
),
pedidos AS (
  SELECT * FROM bronze.pedidos
  QUALIFY row_number() OVER (PARTITION BY pedido_id
                             ORDER BY _ingested_at DESC, _source_file DESC, _source_row DESC) = 1
),
clientes AS (
  SELECT * FROM bronze.clientes
  QUALIFY row_number() OVER (PARTITION BY cliente_id
                             ORDER BY _ingested_at DESC, _source_file DESC, _source_row DESC) = 1
),
fornecedores AS (
  SELECT * FROM bronze.fornecedores
  QUALIFY row_number() OVER (PARTITION BY fornecedor_id
                             ORDER BY _ingested_at DESC, _source_file DESC, _source_row DESC) = 1
),
produtos AS (
  SELECT * FROM bronze.produtos
  QUALIFY row_number() OVER (PARTITION BY produto_id
                             ORDER BY _ingested_at DESC, _source_file DESC, _source_row DESC) = 1
),
cambio AS (
  SELECT data, moeda, taxa_brl FROM bronze.cambio
  QUALIFY row_number() OVER (PARTITION BY data, moeda
                             ORDER BY _ingested_at DESC, _source_file DESC, _source_row DESC) = 1
),
-- One row per currency and calendar day carrying the latest business-day rate forward. Joining
-- items to it by equality is far cheaper than an inequality (ASOF) join on every item.
dias AS (
  SELECT CAST(unnest(generate_series(
           (SELECT min(data) FROM cambio),
           greatest((SELECT max(data) FROM cambio), (SELECT max(data_pedido) FROM pedidos)),
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
)
SELECT
  itens.pedido_id,
  itens.item_seq,
  itens.produto_id,
  pedidos.cliente_id,
  pedidos.fornecedor_id,
  pedidos.data_pedido,
  pedidos.moeda,
  pedidos.incoterm,
  pedidos.status,
  clientes.uf,
  fornecedores.pais,
  produtos.categoria,
  itens.quantidade,
  itens.preco_unitario,
  -- Exact decimal arithmetic throughout (no rounding): any two implementations agree to the cent.
  CAST(itens.quantidade AS DECIMAL(38, 0)) * itens.preco_unitario AS valor_moeda,
  taxa_diaria.taxa_brl,
  CAST(itens.quantidade AS DECIMAL(38, 0)) * itens.preco_unitario * taxa_diaria.taxa_brl
    AS valor_brl,
  CAST(itens.quantidade AS DECIMAL(38, 0)) * itens.preco_unitario * taxa_diaria.taxa_brl
    * produtos.aliquota_ii AS imposto_ii_brl
FROM itens
LEFT JOIN pedidos ON pedidos.pedido_id = itens.pedido_id
LEFT JOIN clientes ON clientes.cliente_id = pedidos.cliente_id
LEFT JOIN fornecedores ON fornecedores.fornecedor_id = pedidos.fornecedor_id
LEFT JOIN produtos ON produtos.produto_id = itens.produto_id
LEFT JOIN taxa_diaria ON taxa_diaria.moeda = pedidos.moeda
                     AND taxa_diaria.dia = pedidos.data_pedido
-- Items of cancelled orders are out of scope. Items whose order is missing stay, so that the
-- order-exists rule quarantines them instead of losing them here.
WHERE pedidos.status IS DISTINCT FROM 'cancelado'
