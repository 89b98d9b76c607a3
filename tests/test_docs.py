"""docs/checks.md is generated from the check and plan-rule registries: it must say what the code does."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checks_md_is_current():
    gen = _generator()
    committed = gen.OUT.read_text(encoding="utf-8")
    assert committed == gen.render(), f"docs/checks.md is stale: run `{gen.COMMAND}` and commit the result"


def test_every_check_and_plan_rule_is_documented_with_its_thresholds():
    from dbxray.checks import load_all
    from dbxray.plans.rules import rules

    gen = _generator()
    text = gen.OUT.read_text(encoding="utf-8")
    for (check_id, _engine), info in load_all().items():
        assert f"### {check_id}\n" in text
        assert gen.docstring(info.doc) in text, check_id
        for name in info.thresholds:
            assert f"| `{name}` |" in text, (check_id, name)
    for rule_id, info in rules().items():
        assert f"### plan: {rule_id}\n" in text and gen.docstring(info.doc) in text, rule_id
        for name in info.options:
            assert f"| `{name}` |" in text, (rule_id, name)
