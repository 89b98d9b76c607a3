-- about: the demo shop's data, generated in the server (a few seconds): 25k customers,
-- about: 5k products, 200k orders with 500k items, 190k payments, 50k stock rows.
-- scope: database

SELECT setseed(0.42);

INSERT INTO customers (email, name, phone, country, created_at)
SELECT 'customer' || g || '@example.com',
       'Customer ' || g,
       '+1-555-' || lpad((g % 9000)::text, 4, '0'),
       (ARRAY['US', 'DE', 'FR', 'GB', 'NL', 'SE', 'ES', 'IT', 'PL', 'CA'])[1 + g % 10],
       now() - (g % 730) * interval '1 day'
FROM generate_series(1, 25000) AS g;

INSERT INTO products (sku, name, category, price)
SELECT 'SKU-' || lpad(g::text, 6, '0'),
       'Product ' || g,
       (ARRAY['books', 'games', 'garden', 'kitchen', 'toys', 'tools', 'music', 'sports'])[1 + g % 8],
       round((5 + random() * 195)::numeric, 2)
FROM generate_series(1, 5000) AS g;

INSERT INTO orders (customer_id, status, created_at, total, shipping_address, tracking_number)
SELECT o.customer_id, o.status, o.created_at, o.total, o.address,
       CASE WHEN o.status IN ('shipped', 'delivered') THEN '1Z' || upper(md5(o.g::text)) END
FROM (
  SELECT g,
         1 + floor(random() * 25000)::bigint AS customer_id,
         CASE WHEN r < 0.85 THEN 'delivered' WHEN r < 0.93 THEN 'shipped'
              WHEN r < 0.97 THEN 'pending' ELSE 'cancelled' END AS status,
         now() - random() * interval '730 days' AS created_at,
         round((10 + random() * 490)::numeric, 2) AS total,
         (1 + g % 999) || ' Market Street, Apt ' || (g % 97) || ', Springfield' AS address
  FROM (SELECT g, random() AS r FROM generate_series(1, 200000) AS g) AS s
) AS o;

INSERT INTO order_items (order_id, product_id, quantity, unit_price)
SELECT o.id, 1 + floor(random() * 5000)::int, 1 + floor(random() * 3)::int, round((5 + random() * 195)::numeric, 2)
FROM orders AS o
CROSS JOIN LATERAL generate_series(1, 1 + (o.id % 4)::int) AS k;

INSERT INTO payments (order_id, amount, method, status, created_at)
SELECT id, total,
       (ARRAY['card', 'card', 'card', 'paypal', 'bank_transfer'])[1 + id % 5],
       CASE WHEN status = 'pending' THEN 'authorized' ELSE 'captured' END,
       created_at + interval '2 minutes'
FROM orders
WHERE status <> 'cancelled';

INSERT INTO inventory (product_id, warehouse, quantity)
SELECT p, w, 100 + floor(random() * 900)::int
FROM generate_series(1, 5000) AS p
CROSS JOIN unnest(ARRAY['ams', 'ber', 'dub', 'fra', 'lon', 'mad', 'mil', 'par', 'sto', 'waw']) AS w;

-- PLANTED (sequence_exhaustion): years of cart traffic have pushed the sequence close to
-- the integer column's limit.
SELECT setval('cart_events_id_seq', 2000000000);

INSERT INTO cart_events (customer_id, product_id, event, created_at)
SELECT 1 + floor(random() * 25000)::bigint, 1 + floor(random() * 5000)::int,
       (ARRAY['add', 'add', 'remove', 'view'])[1 + g % 4],
       now() - random() * interval '30 days'
FROM generate_series(1, 20000) AS g;

INSERT INTO audit_log (logged_at, actor, action, entity, entity_id, details)
SELECT now() - random() * interval '90 days',
       (ARRAY['api', 'admin', 'worker'])[1 + g % 3],
       (ARRAY['update', 'create', 'refund', 'login'])[1 + g % 4],
       'order', 1 + g % 200000,
       jsonb_build_object('ip', '10.0.' || (g % 256) || '.' || (g % 250), 'request', g)
FROM generate_series(1, 50000) AS g;
