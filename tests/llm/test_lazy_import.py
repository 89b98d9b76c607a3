"""The SDK costs a second or more to import: ``--help`` and a report without the model never load it."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
sys.argv = ["dbxray", *{args!r}]
from dbxray.cli import main
try:
    main()
except SystemExit:
    pass
print("LOADED" if {{"anthropic", "httpx2"}} & set(sys.modules) else "NOT LOADED", file=sys.stderr)
"""


def _loaded(*args: str) -> bool:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(args=list(args))], capture_output=True, text=True,
                          timeout=120)
    return proc.stderr.strip().splitlines()[-1] == "LOADED"


@pytest.mark.parametrize("args", [["--help"], ["report", "--help"], ["ask", "--help"]])
def test_help_does_not_import_the_sdk(args):
    assert not _loaded(*args)


def test_a_report_without_the_model_does_not_import_the_sdk(shop_snapshot):
    assert not _loaded("report", "--snapshot", str(shop_snapshot), "-f", "json")
    assert _loaded("report", "--snapshot", str(shop_snapshot), "--llm-dry-run")  # the probe can tell
