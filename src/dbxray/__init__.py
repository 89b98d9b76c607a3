"""dbxray: diagnose live database performance.

The Python API mirrors the CLI pipeline, for notebooks::

    import dbxray
    snap = dbxray.collect("postgresql://localhost/shop")
    snap["statements"]          # a pandas DataFrame
    report = dbxray.analyze(snap)
"""

__version__ = "0.1.0"

__all__ = ["__version__", "analyze", "collect", "load_snapshot"]


def collect(dsn: str | None = None, **options):
    """Connect, run every applicable collector, return a Snapshot (DataFrames + metadata)."""
    from dbxray.pipeline import collect_snapshot

    return collect_snapshot(dsn, **options)


def analyze(snapshot, config=None, baseline=None):
    """Run the rule checks on a Snapshot; returns a Report (findings + summary)."""
    from dbxray.pipeline import analyze_snapshot

    return analyze_snapshot(snapshot, config=config, baseline=baseline)


def load_snapshot(path):
    """Read a snapshot saved with ``Snapshot.save`` (or ``dbxray report --save``)."""
    from dbxray.snapshot import Snapshot

    return Snapshot.load(path)
