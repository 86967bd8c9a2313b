WITH mensal AS (
  SELECT CAST(date_trunc('month', data_pedido) AS DATE) AS mes,
         moeda,
         sum(valor_brl) AS volume_brl,
         count(DISTINCT pedido_id) AS n_pedidos
  FROM silver.fato_pedido_correlacionado
  GROUP BY ALL
),
cambio AS (
  SELECT data, moeda, taxa_brl FROM bronze.cambio
  QUALIFY row_number() OVER (PARTITION BY data, moeda
                             ORDER BY _ingested_at DESC, _source_file DESC, _source_row DESC) = 1
),
taxas AS (
  SELECT CAST(date_trunc('month', data) AS DATE) AS mes,
         moeda,
         avg(taxa_brl) AS taxa_media,
         stddev_samp(taxa_brl) AS volatilidade
  FROM cambio
  GROUP BY ALL
)
SELECT mensal.mes,
       mensal.moeda,
       mensal.volume_brl,
       mensal.n_pedidos,
       taxas.taxa_media,
       taxas.volatilidade,
       -- The previous month present for the currency, not the previous calendar month.
       lag(mensal.volume_brl) OVER (PARTITION BY mensal.moeda ORDER BY mensal.mes)
         AS volume_brl_lag1
FROM mensal
LEFT JOIN taxas ON taxas.mes = mensal.mes AND taxas.moeda = mensal.moeda
