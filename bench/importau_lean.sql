-- ImportAu silver and gold (../shared/examples/importau/SPEC.md) written as lean DuckDB SQL: the
-- baseline of bench/importau_bench. A user who writes the job by hand dedups each bronze table
-- once, builds the daily rate calendar once, and reads silver for both gold tables; strata's
-- example repeats the dedup windows in its models and tests. `${bronze}` is the directory of the
-- bronze Parquet files (one per table, with _source_row), `${out}` where silver and gold go.
-- Gold must equal strata's to the cent: the bench checks it.
SET preserve_insertion_order = false;

-- On a repeated key the row ingested last wins (one load here: the later row of the file).
CREATE TEMP TABLE pedidos AS
  SELECT * EXCLUDE (_source_file, _source_row, _ingested_at)
  FROM read_parquet('${bronze}/pedidos.parquet')
  QUALIFY row_number() OVER (PARTITION BY pedido_id ORDER BY _source_row DESC) = 1;
CREATE TEMP TABLE clientes AS
  SELECT cliente_id, uf FROM read_parquet('${bronze}/clientes.parquet')
  QUALIFY row_number() OVER (PARTITION BY cliente_id ORDER BY _source_row DESC) = 1;
CREATE TEMP TABLE fornecedores AS
  SELECT fornecedor_id, pais FROM read_parquet('${bronze}/fornecedores.parquet')
  QUALIFY row_number() OVER (PARTITION BY fornecedor_id ORDER BY _source_row DESC) = 1;
CREATE TEMP TABLE produtos AS
  SELECT produto_id, categoria, aliquota_ii FROM read_parquet('${bronze}/produtos.parquet')
  QUALIFY row_number() OVER (PARTITION BY produto_id ORDER BY _source_row DESC) = 1;
CREATE TEMP TABLE cambio AS
  SELECT data, moeda, taxa_brl FROM read_parquet('${bronze}/cambio.parquet')
  QUALIFY row_number() OVER (PARTITION BY data, moeda ORDER BY _source_row DESC) = 1;
CREATE TEMP TABLE pagamentos AS
  SELECT pedido_id, data_vencimento, percentual FROM read_parquet('${bronze}/pagamentos.parquet')
  QUALIFY row_number() OVER (PARTITION BY pagamento_id ORDER BY _source_row DESC) = 1;

-- The rate of the latest business day on or before every calendar day any order or payment
-- needs, so that both joins below are equality joins.
CREATE TEMP TABLE taxa_diaria AS
  WITH dias AS (
    SELECT CAST(unnest(generate_series(
             (SELECT min(data) FROM cambio),
             greatest((SELECT max(data) FROM cambio), (SELECT max(data_pedido) FROM pedidos),
                      (SELECT max(data_vencimento) FROM pagamentos)),
             INTERVAL 1 DAY)) AS DATE) AS dia
  )
  SELECT moedas.moeda, dias.dia,
         last_value(cambio.taxa_brl IGNORE NULLS)
           OVER (PARTITION BY moedas.moeda ORDER BY dias.dia) AS taxa_brl
  FROM (SELECT DISTINCT moeda FROM cambio) AS moedas
  CROSS JOIN dias
  LEFT JOIN cambio ON cambio.moeda = moedas.moeda AND cambio.data = dias.dia;

-- Silver: items of orders not cancelled that pass every rule (the others would be quarantined).
CREATE TEMP TABLE fato AS
  SELECT itens.pedido_id, itens.item_seq, itens.produto_id, pedidos.cliente_id,
         pedidos.fornecedor_id, pedidos.data_pedido, pedidos.moeda, pedidos.incoterm,
         pedidos.status, clientes.uf, fornecedores.pais, produtos.categoria, itens.quantidade,
         itens.preco_unitario,
         CAST(itens.quantidade AS DECIMAL(38, 0)) * itens.preco_unitario AS valor_moeda,
         taxa_diaria.taxa_brl,
         CAST(itens.quantidade AS DECIMAL(38, 0)) * itens.preco_unitario * taxa_diaria.taxa_brl
           AS valor_brl,
         CAST(itens.quantidade AS DECIMAL(38, 0)) * itens.preco_unitario * taxa_diaria.taxa_brl
           * produtos.aliquota_ii AS imposto_ii_brl
  FROM (SELECT * FROM read_parquet('${bronze}/itens_pedido.parquet')
        QUALIFY row_number() OVER (PARTITION BY pedido_id, item_seq
                                   ORDER BY _source_row DESC) = 1) AS itens
  LEFT JOIN pedidos ON pedidos.pedido_id = itens.pedido_id
  LEFT JOIN clientes ON clientes.cliente_id = pedidos.cliente_id
  LEFT JOIN fornecedores ON fornecedores.fornecedor_id = pedidos.fornecedor_id
  LEFT JOIN produtos ON produtos.produto_id = itens.produto_id
  LEFT JOIN taxa_diaria ON taxa_diaria.moeda = pedidos.moeda
                       AND taxa_diaria.dia = pedidos.data_pedido
  -- The SPEC's rules with the example's NULL semantics: a comparison on NULL breaks its rule, a
  -- NULL reference does not (it is the existence of a given key that is checked).
  WHERE pedidos.status IS DISTINCT FROM 'cancelado'
    AND itens.quantidade > 0 AND itens.preco_unitario > 0
    AND (itens.pedido_id IS NULL OR pedidos.pedido_id IS NOT NULL)
    AND (itens.produto_id IS NULL OR produtos.produto_id IS NOT NULL)
    AND (pedidos.cliente_id IS NULL OR clientes.cliente_id IS NOT NULL)
    AND (pedidos.fornecedor_id IS NULL OR fornecedores.fornecedor_id IS NOT NULL)
    AND taxa_diaria.taxa_brl IS NOT NULL;
COPY fato TO '${out}/silver/fato_pedido_correlacionado.parquet' (FORMAT parquet, COMPRESSION zstd);

COPY (
  WITH por_pedido AS (
    SELECT pedido_id, any_value(moeda) AS moeda, any_value(taxa_brl) AS taxa_pedido,
           sum(valor_moeda) AS valor_moeda
    FROM fato GROUP BY pedido_id
  ),
  saidas AS (
    SELECT CAST(date_trunc('month', pagamentos.data_vencimento) AS DATE) AS mes, por_pedido.moeda,
           pagamentos.percentual * por_pedido.valor_moeda * por_pedido.taxa_pedido AS prevista,
           pagamentos.percentual * por_pedido.valor_moeda * taxa_diaria.taxa_brl AS no_vencimento
    FROM pagamentos
    JOIN por_pedido ON por_pedido.pedido_id = pagamentos.pedido_id
    LEFT JOIN taxa_diaria ON taxa_diaria.moeda = por_pedido.moeda
                         AND taxa_diaria.dia = pagamentos.data_vencimento
  )
  SELECT mes, moeda, sum(prevista) AS saida_prevista_brl,
         sum(no_vencimento) AS saida_cambio_vencimento_brl,
         sum(no_vencimento) - sum(prevista) AS variacao_cambial_brl, count(*) AS n_pagamentos
  FROM saidas GROUP BY mes, moeda
) TO '${out}/gold/agregado_fluxo_de_caixa_mensal.parquet' (FORMAT parquet, COMPRESSION zstd);

COPY (
  WITH mensal AS (
    SELECT CAST(date_trunc('month', data_pedido) AS DATE) AS mes, moeda,
           sum(valor_brl) AS volume_brl, count(DISTINCT pedido_id) AS n_pedidos
    FROM fato GROUP BY ALL
  ),
  taxas AS (
    SELECT CAST(date_trunc('month', data) AS DATE) AS mes, moeda, avg(taxa_brl) AS taxa_media,
           stddev_samp(taxa_brl) AS volatilidade
    FROM cambio GROUP BY ALL
  )
  SELECT mensal.mes, mensal.moeda, mensal.volume_brl, mensal.n_pedidos, taxas.taxa_media,
         taxas.volatilidade,
         lag(mensal.volume_brl) OVER (PARTITION BY mensal.moeda ORDER BY mensal.mes)
           AS volume_brl_lag1
  FROM mensal
  LEFT JOIN taxas ON taxas.mes = mensal.mes AND taxas.moeda = mensal.moeda
) TO '${out}/gold/features_risco_cambial.parquet' (FORMAT parquet, COMPRESSION zstd);
