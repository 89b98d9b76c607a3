"""The fleet: ``dbxray report --all`` over the ``[targets.NAME]`` of ``dbxray.toml``.

    targets.py   [targets.NAME]: DSN from the file (no password) or an environment variable,
                 per-target thresholds and ignores merged over the global ones
    job.py       one target's run in a worker (its own connection, its own store handle)
    pool.py      at most --jobs at once; Ctrl-C stops all at once
    run.py       outputs per target, the webhook, the exit code (the highest of the targets')
    summary.py   the closing table
    result.py    what one run left, shared with the Prometheus and webhook outputs

See docs/scheduling.md for cron, systemd and Kubernetes.
"""

from dbxray.fleet.job import JobSettings
from dbxray.fleet.run import FleetOptions, run_all
from dbxray.fleet.targets import FleetTarget

__all__ = ["FleetOptions", "FleetTarget", "JobSettings", "run_all"]
