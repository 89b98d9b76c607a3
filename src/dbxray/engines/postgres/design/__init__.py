"""What the PostgreSQL schema-design, transaction and caching checks read beyond the collectors' frames:
the workload parsed against the snapshot's own catalog (join pairs, JSON filters, columns read), the
catalog views by table, and the HypoPG proof of expression indexes (``live``)."""
