"""Evaluation of the LLM path on the diagnosis scenarios (``tests/diagnosis``), with a real key only.

Runs the scenario tests with pytest, in this process, with a plugin that catches every report the
real pipeline builds (``live_report``) and sends a copy of it through ``report --llm``'s path
(``dbxray.llm.advise``). For each scenario it records whether the model's top finding matches the
rule diagnosis (rank 1: the same finding, a finding of its chain, its bottleneck id, or the same
object; on a healthy control: no finding above info), the tokens of the reply's ``usage``, the cost
at the published prices, and the characters per real input token (to calibrate the offline
estimate, ``dbxray.llm.evidence.CHARS_PER_TOKEN``).

Nothing is ever sent without ``ANTHROPIC_API_KEY`` (or ``ANTHROPIC_AUTH_TOKEN``): the script says so
and exits 0, so CI never spends money. ``--payload-only`` runs the scenarios and reports the size of
each request (estimated tokens, bytes, build time) without sending anything.

    .venv/bin/python bench/llm_eval.py                      # needs a key: sends one request per scenario
    .venv/bin/python bench/llm_eval.py --model claude-sonnet-5-5 -k hot_unindexed
    .venv/bin/python bench/llm_eval.py --payload-only       # no key, nothing sent
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

# USD per million tokens (input, output, 5-minute cache write, cache read), from the model pages of
# platform.claude.com as of October 2026 (Haiku 5.5: prompts up to 100,000 tokens). Verify before quoting.
PRICES = {
    "claude-haiku-5-5": (0.10, 0.50, 0.125, 0.01),
    "claude-sonnet-5-5": (2.0, 10.0, 2.50, 0.10),
    "claude-sonnet-5": (2.0, 10.0, 2.50, 0.20),
    "claude-opus-5-5": (4.0, 20.0, 5.0, 0.40),
}


def log(msg: str) -> None:
    print(f"llm_eval: {msg}", file=sys.stderr, flush=True)


def has_key() -> bool:
    return any(os.environ.get(k, "").strip() for k in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"))


def cost(model: str, usage: dict[str, int]) -> float | None:
    price = PRICES.get(model)
    if price is None:
        return None
    fresh = usage.get("input_tokens", 0)
    return (fresh * price[0] + usage.get("output_tokens", 0) * price[1]
            + usage.get("cache_creation_input_tokens", 0) * price[2]
            + usage.get("cache_read_input_tokens", 0) * price[3]) / 1e6


def matches(diagnosis: dict[str, Any], findings: list[dict[str, Any]]) -> bool:
    """Does the model's top finding (its worst, first of equals) agree with the rule diagnosis' rank 1?"""
    serious = [b for b in diagnosis.get("bottlenecks", []) if b["severity"] != "info"]
    ranked = sorted(findings, key=lambda f: {"critical": 0, "warning": 1, "info": 2}[f["severity"]])
    if not serious:  # a healthy control: right when the model raises nothing above info either
        return not any(f["severity"] != "info" for f in findings)
    if not ranked:
        return False
    first, top = serious[0], ranked[0]
    chain = {*first["finding_ids"], f"bottleneck:{first['rank']}"}
    if top.get("same_as") in chain or chain & set(top["evidence"].get("evidence_ids", [])):
        return True
    keys = ("table", "query_id", "pid", "setting", "sequence")
    return any(first["object"].get(k) is not None and top["object"].get(k) == first["object"].get(k) for k in keys)


class Catcher:
    """A pytest plugin: wraps ``live_report`` in the scenario modules and evaluates each report."""

    def __init__(self, settings: Any, send: bool):
        self.settings = settings
        self.send = send
        self.current = ""
        self.rows: list[dict[str, Any]] = []

    def pytest_runtest_setup(self, item: Any) -> None:
        self.current = item.nodeid.split("::")[-1]

    def pytest_collection_finish(self, session: Any) -> None:
        from dbxray import pipeline

        real = pipeline.live_report

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            snap, rep = real(*args, **kwargs)
            self.evaluate(snap, copy.deepcopy(rep))
            return snap, rep

        for name, module in list(sys.modules.items()):
            if name.startswith("tests.diagnosis") and getattr(module, "live_report", None) is real:
                module.live_report = wrapped

    def evaluate(self, snap: Any, rep: Any) -> None:
        from dbxray.llm.advise import advise, prepare
        from dbxray.llm.client import LLMFailure
        from dbxray.llm.request import content_chars

        row: dict[str, Any] = {"scenario": self.current, "engine": snap.engine}
        rule = rep.diagnosis.to_dict() if rep.diagnosis is not None else {"bottlenecks": []}
        row["rule_top"] = next((b["title"] for b in rule["bottlenecks"] if b["severity"] != "info"), None)
        try:
            prepared = prepare(rep, snap, self.settings)
            row["payload"] = prepared.payload_info()
            chars = content_chars(prepared.body)
        except LLMFailure as failure:
            row["error"] = failure.message
            self.rows.append(row)
            return
        if self.send:
            started = time.monotonic()
            failure = advise(rep, snap, self.settings)
            row["seconds"] = round(time.monotonic() - started, 2)
            llm = rep.diagnosis.to_dict()["llm"]
            if failure is not None:
                row["error"] = failure.message
            else:
                mine = [f.to_dict() for f in rep.findings if f.source == "llm"]
                row.update(match=matches(rule, mine), model_top=mine[0]["title"] if mine else None,
                           kept=llm["findings_kept"], dropped=llm["findings_dropped"], usage=llm.get("usage", {}),
                           cost_usd=cost(self.settings.model, llm.get("usage", {})))
                real_in = sum(llm.get("usage", {}).get(k, 0) for k in
                              ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))
                row["chars_per_token"] = round(chars / real_in, 2) if real_in else None
        self.rows.append(row)
        log(f"{self.current}: {json.dumps({k: v for k, v in row.items() if k != 'payload'}, default=str)}")


def summarize(rows: list[dict[str, Any]], send: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"reports": len(rows), "errors": sum(1 for r in rows if "error" in r)}
    tokens = [r["payload"]["estimated_tokens"] for r in rows if "payload" in r]
    if tokens:
        out["estimated_tokens"] = {"max": max(tokens), "median": statistics.median(tokens)}
    if send:
        judged = [r for r in rows if "match" in r]
        out["top_finding_matches_rule_diagnosis"] = f"{sum(r['match'] for r in judged)}/{len(judged)}"
        costs = [r["cost_usd"] for r in judged if r.get("cost_usd") is not None]
        if costs:
            out["cost_usd_per_report"] = {"mean": round(statistics.mean(costs), 5), "max": round(max(costs), 5)}
        for key in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
            values = [r["usage"].get(key, 0) for r in judged]
            if values:
                out[f"mean_{key}"] = round(statistics.mean(values))
        ratios = [r["chars_per_token"] for r in judged if r.get("chars_per_token")]
        if ratios:
            out["chars_per_real_token"] = round(statistics.median(ratios), 2)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model to evaluate (default: dbxray's default)")
    parser.add_argument("--payload-only", action="store_true", help="measure the requests; send nothing")
    parser.add_argument("-k", dest="keyword", help="only the scenarios matching this pytest -k expression")
    args = parser.parse_args()
    send = not args.payload_only
    if send and not has_key():
        print("llm_eval: no ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN): nothing was sent and nothing was measured. "
              "Set a key to evaluate the model on the diagnosis scenarios, or run with --payload-only.")
        return 0
    import pytest

    from dbxray.llm.settings import resolve_settings

    settings = resolve_settings(None, args.model)
    catcher = Catcher(settings, send)
    pytest_args = ["-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "diagnosis")]
    if args.keyword:
        pytest_args += ["-k", args.keyword]
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    log(f"{'sending to ' + settings.model if send else 'payload only'}: running the diagnosis scenarios")
    pytest.main(pytest_args, plugins=[catcher])
    summary = summarize(catcher.rows, send)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"llm-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps({"model": settings.model, "summary": summary, "reports": catcher.rows}, indent=2,
                               default=str), encoding="utf-8")
    print(json.dumps(summary, indent=2))
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
