"""What the MySQL/MariaDB schema-design, transaction and caching checks read beyond the collectors' frames:
the digests parsed against the catalog (join pairs, JSON filters, columns read), and statement samples."""
