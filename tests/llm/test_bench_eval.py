"""bench/llm_eval.py: silent and free without a key; its scoring of the model's top finding."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "llm_eval.py"


def test_without_a_key_it_says_so_and_exits_0():
    env = {k: v for k, v in os.environ.items() if k not in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")}
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.startswith("llm_eval: no ANTHROPIC_API_KEY") and "nothing was sent" in proc.stdout


def test_the_top_finding_is_scored_against_rank_1():
    sys.path.insert(0, str(SCRIPT.parent))
    from llm_eval import matches

    diagnosis = {"bottlenecks": [{"rank": 1, "severity": "critical", "finding_ids": ["slow_query:query=7"],
                                  "object": {"query_id": "7", "table": "orders"}}]}
    ai = {"severity": "warning", "object": {"table": "customers"}, "evidence": {"evidence_ids": ["table:x"]}}
    assert not matches(diagnosis, [ai])
    assert matches(diagnosis, [{**ai, "evidence": {"evidence_ids": ["bottleneck:1"]}}])
    assert matches(diagnosis, [{**ai, "same_as": "slow_query:query=7"}])
    assert matches(diagnosis, [{**ai, "object": {"schema": "public", "table": "orders"}}])
    assert not matches(diagnosis, [])
    healthy = {"bottlenecks": []}
    assert matches(healthy, [{**ai, "severity": "info"}]) and not matches(healthy, [ai])
