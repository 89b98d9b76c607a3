-- about: the indexes and foreign keys, added after the bulk load the way a migration would.
-- scope: database

-- Indexes the application needs and uses.
CREATE INDEX order_items_product_id_idx ON order_items (product_id);
CREATE INDEX orders_status_created_at_idx ON orders (status, created_at);
CREATE INDEX payments_order_id_idx ON payments (order_id);
CREATE INDEX cart_events_customer_id_idx ON cart_events (customer_id);
CREATE INDEX audit_log_logged_at_idx ON audit_log (logged_at);

-- PLANTED (duplicate_index): the same migration ran twice; PostgreSQL named the copy "…_idx1".
CREATE INDEX payments_order_id_idx1 ON payments (order_id);

-- PLANTED (redundant_index): (status) is a prefix of orders_status_created_at_idx.
CREATE INDEX orders_status_idx ON orders (status);

-- PLANTED (unused_index): built for a tracking page that was never shipped; about 12 MB
-- that every order insert and update still maintains.
CREATE INDEX orders_tracking_number_idx ON orders (tracking_number);

ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
  FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fkey
  FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;
ALTER TABLE order_items ADD CONSTRAINT order_items_product_id_fkey
  FOREIGN KEY (product_id) REFERENCES products (id);
ALTER TABLE payments ADD CONSTRAINT payments_order_id_fkey
  FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE inventory ADD CONSTRAINT inventory_product_id_fkey
  FOREIGN KEY (product_id) REFERENCES products (id);
ALTER TABLE cart_events ADD CONSTRAINT cart_events_customer_id_fkey
  FOREIGN KEY (customer_id) REFERENCES customers (id);
