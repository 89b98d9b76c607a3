-- The demo shop for MariaDB (docker/compose.yaml, service `mariadb`): a small schema with planted
-- problems, each marked PLANTED with the check meant to find it. The official image runs this once,
-- on an empty volume, in MARIADB_DATABASE (shop). Uses the SEQUENCE engine (seq_1_to_N) for rows.

CREATE TABLE customers (
  id INT AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(120) NOT NULL,              -- PLANTED missing_index: looked up by email, no index
  city VARCHAR(40) NOT NULL,
  created_at DATETIME NOT NULL
) ENGINE=InnoDB;

CREATE TABLE orders (
  id INT AUTO_INCREMENT PRIMARY KEY,
  customer_id INT NOT NULL,                 -- PLANTED missing_index / full_table_scan: filtered, unindexed
  status VARCHAR(12) NOT NULL,
  total DECIMAL(10, 2) NOT NULL,
  created_at DATETIME NOT NULL,
  KEY ix_orders_status (status),            -- PLANTED redundant_index: a left prefix of the next one
  KEY ix_orders_status_created (status, created_at)
) ENGINE=InnoDB;

CREATE TABLE order_items (                  -- PLANTED missing_primary_key
  order_id INT NOT NULL,
  product_id INT NOT NULL,
  qty INT NOT NULL,
  KEY ix_items_order (order_id),
  KEY ix_items_order_copy (order_id)        -- PLANTED duplicate_index
) ENGINE=InnoDB;

CREATE TABLE cart_events (                  -- PLANTED sequence_exhaustion: INT AUTO_INCREMENT at 93%
  id INT AUTO_INCREMENT PRIMARY KEY,
  customer_id INT NOT NULL,
  happened_at DATETIME NOT NULL
) ENGINE=InnoDB AUTO_INCREMENT=2000000000;

INSERT INTO customers (email, city, created_at)
  SELECT CONCAT('customer', seq, '@shop.example'), ELT(1 + seq % 5, 'Lyon', 'Oslo', 'Lima', 'Pune', 'Kyiv'),
         '2024-01-01' + INTERVAL seq MINUTE
  FROM seq_1_to_20000;
INSERT INTO orders (customer_id, status, total, created_at)
  SELECT 1 + seq % 20000, ELT(1 + seq % 4, 'new', 'paid', 'sent', 'done'), seq % 500, '2024-01-01' + INTERVAL seq MINUTE
  FROM seq_1_to_60000;
INSERT INTO order_items (order_id, product_id, qty)
  SELECT 1 + seq % 60000, 1 + seq % 300, 1 + seq % 3 FROM seq_1_to_120000;
INSERT INTO cart_events (customer_id, happened_at)
  SELECT 1 + seq % 20000, '2024-06-01' + INTERVAL seq SECOND FROM seq_1_to_1000;

ANALYZE TABLE customers, orders, order_items, cart_events PERSISTENT FOR ALL;
