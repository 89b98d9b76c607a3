"""Write docs/checks.md from the registries: every check (id, engines, area, thresholds with their
defaults, the docstring's what / why / fix) and every plan rule (id, thresholds, docstring).

    python scripts/gen_docs.py           # rewrite docs/checks.md
    python scripts/gen_docs.py --check   # exit 1 when docs/checks.md is stale (tests/test_docs.py)

The documentation is generated, never copied: a check's docstring and its ``@check`` thresholds are
the one place its behaviour is written down.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "checks.md"
COMMAND = "python scripts/gen_docs.py"
LABELS = ("Why", "Fix", "How sure", "Source", "Sources", "Defaults")
_LABEL = re.compile(rf"^({'|'.join(LABELS)}):\s*")


def _md(text: str) -> str:
    return re.sub(r"``([^`]+)``", r"`\1`", text)


def docstring(doc: str) -> str:
    """A check's docstring as Markdown: the summary, then one paragraph per label (Why, Fix...) and
    bullet items kept as a list; wrapped lines joined."""
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append(" ".join(current))
            current.clear()

    for raw in doc.strip().splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        label = _LABEL.match(line)
        if label:
            flush()
            rest = line[label.end():]
            current.append(f"**{label.group(1)}.** {rest[:1].upper()}{rest[1:]}")
        elif line.startswith("* "):
            flush()
            current.append(f"- {line[2:]}")
        else:
            current.append(line)
    flush()
    out: list[str] = []
    for block in blocks:
        if out and block.startswith("- ") and out[-1].startswith("- "):
            out[-1] += "\n" + block  # consecutive bullets form one list
        else:
            out.append(block)
    return "\n\n".join(_md(b) for b in out)


def _value(value: Any) -> str:
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 10000:
        return f"{value:_}"
    return repr(value)


def _thresholds(values: dict[str, Any], note: str = "") -> list[str]:
    if not values:
        return ["No thresholds."]
    lines = ["| threshold | default |", "|---|---|"]
    lines += [f"| `{k}` | `{_value(v)}` |" for k, v in values.items()]
    return [note, "", *lines] if note else lines


def _engines_running(check_id: str, engines: dict[str, Any], checks_for: Any) -> dict[str, list[Any]]:
    """{engine name: [the CheckInfo it runs for this id]}, engines in name order."""
    out: dict[str, list[Any]] = {}
    for name in sorted(engines):
        out[name] = [info for info in checks_for(name) if info.id == check_id]
    return {k: v for k, v in out.items() if v}


def render_checks() -> list[str]:
    from dbxray import engine
    from dbxray.checks import EXTERNAL_OPTIONS, checks_for, load_all

    engines = engine.engines()
    ids = sorted({cid for (cid, _) in load_all()}, key=lambda cid: (_area(cid, load_all()), cid))
    rows, sections = [], []
    for cid in ids:
        running = _engines_running(cid, engines, checks_for)
        if not running:
            continue
        infos = {id(i): i for group in running.values() for i in group}  # one entry per check function
        area = _area(cid, load_all())
        shared = any(i.engines == ("*",) for i in infos.values())
        names = ", ".join(engines[e].label for e in running)
        rows.append(f"| [`{cid}`](#{cid}) | {area} | {names} | {'shared' if shared else 'per engine'} |")
        sections += [f"### {cid}", ""]
        if len(infos) == 1:
            info = next(iter(infos.values()))
            kind = "one check for every engine" if shared else f"{names} only"
            sections += [f"*{area} · {kind}*", "", docstring(info.doc), "", *_thresholds(info.thresholds), ""]
        else:
            sections += [f"*{area} · one check id, written for each engine*", ""]
            for name, group in running.items():
                info = group[0]
                sections += [f"#### {engines[name].label}", "", docstring(info.doc), "",
                             *_thresholds(info.thresholds), ""]
        if cid in EXTERNAL_OPTIONS:
            module, attr = EXTERNAL_OPTIONS[cid]
            mod = importlib.import_module(module)
            summary = (mod.__doc__ or "").strip().splitlines()[0]
            sections += [f"#### {_owner(module, engines)}: the index advisor", "", _md(summary), "",
                         *_thresholds(getattr(mod, attr), f"`[checks.{cid}]` also sets the advisor's options:"), ""]
    head = ["| check | area | engines | logic |", "|---|---|---|---|", *rows]
    return ["## Checks (`dbxray report`)", "", *head, "", *sections]


def _area(cid: str, registry: dict) -> str:
    return next(info.area for (c, _), info in sorted(registry.items()) if c == cid)


def _owner(module: str, engines: dict[str, Any]) -> str:
    name = module.split(".")[2] if module.startswith("dbxray.engines.") else ""
    return engines[name].label if name in engines else "dbxray"


def render_plan_rules() -> list[str]:
    from dbxray.plans.rules import Thresholds, rules

    defaults = dataclasses.asdict(Thresholds())
    rows, sections = [], []
    for rid, info in rules().items():
        rows.append(f"| [`{rid}`](#plan-{rid}) | {info.scope} | "
                    f"{', '.join(f'`{o}`' for o in info.options) or '–'} |")
        sections += [f"### plan: {rid}", "", f"*{'once per plan' if info.scope == 'plan' else 'every plan node'}*", "",
                     docstring(info.doc), "", *_thresholds({o: defaults[o] for o in info.options}), ""]
    head = ["| rule | runs on | thresholds |", "|---|---|---|", *rows]
    return ["## Plan rules (`dbxray explain`, and the plans of the top statements in `dbxray report`)", "",
            *head, "", *sections]


def render() -> str:
    lines = [
        "# Checks and plan rules",
        "",
        f"<!-- generated by `{COMMAND}` from the check and plan-rule registries: do not edit -->",
        "",
        "Every threshold can be overridden in `dbxray.toml`: `[checks.<id>]` for a check, `[plans.<id>]` for "
        "a plan rule; `enabled = false` switches either off. A check marked *shared* is one function over "
        "the engine-neutral views every engine provides (`dbxray/checks/`); the others live in their "
        "engine's folder (`dbxray/engines/<engine>/checks/`).",
        "",
        *render_checks(),
        *render_plan_rules(),
    ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/checks.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
