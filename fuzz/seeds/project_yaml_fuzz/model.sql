/*---
description: Orders joined to their payments
owner: data-team
tags: [silver, orders]
materialized: merge
key: [order_id]
columns:
  - {name: order_id, description: the order, pii: none}
tests:
  - {kind: not_null, columns: [order_id]}
  - {kind: unique, columns: order_id, action: warn}
  - {kind: accepted_values, column: status, values: ["'open'", "'paid'"]}
  - {kind: range, column: amount, min: "0", max: "1e9", action: quarantine}
  - {kind: row_count, min: 1, max: 1000000}
  - {kind: freshness, column: updated_at, max_age: 36 hours}
  - {kind: relationships, column: customer_id, to: silver.customers, field: id}
  - {kind: expect, expression: amount >= 0}
---*/
SELECT * FROM bronze.orders
