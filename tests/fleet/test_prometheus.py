"""``--format prometheus`` read back with the Prometheus client's own parser, and written the way the
node_exporter textfile collector needs (``*.prom.tmp`` then rename)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dbxray.report import render
from dbxray.report.prometheus import FAMILIES, render_results, write_textfile
from tests.fleet.helpers import T0, make_report, make_result


def parsed(text: str) -> dict[str, list]:
    """family name -> samples; the parser raises on anything the format does not allow."""
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for f in families.values():
        assert f.type == "gauge" and f.documentation
    return {name: list(f.samples) for name, f in families.items()}


def by(samples, **labels) -> list[float]:
    return [s.value for s in samples if all(s.labels.get(k) == v for k, v in labels.items())]


def test_a_fleet_exposition_parses_with_every_family_once_and_the_documented_labels():
    results = [make_result("eu-prod", code=1), make_result("us-prod", code=4, incomplete=("no pg_stat_statements",)),
               make_result("ap-prod", code=2, error="connection refused")]
    text = render_results(results)
    assert [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")] == list(FAMILIES)
    m = parsed(text)
    assert set(m) == set(FAMILIES)
    assert by(m["dbxray_findings"], target="eu-prod", check="missing_index", severity="warning") == [2.0]
    assert by(m["dbxray_findings"], target="eu-prod", check="sequence_exhaustion", severity="critical") == [1.0]
    assert {s.labels["target"] for s in m["dbxray_findings"]} == {"eu-prod", "us-prod"}  # none for a failed one
    assert sum(by(m["dbxray_findings"], target="us-prod")) == 5
    assert by(m["dbxray_up"], target="ap-prod") == [0.0] and by(m["dbxray_up"], target="eu-prod") == [1.0]
    assert by(m["dbxray_exit_code"], target="ap-prod") == [2.0] and by(m["dbxray_exit_code"], target="eu-prod") == [1.0]
    assert by(m["dbxray_report_incomplete"], target="us-prod") == [1.0]
    assert by(m["dbxray_report_incomplete"], target="eu-prod") == [0.0]
    assert by(m["dbxray_bottleneck_score"], target="eu-prod", rank="1", kind="outage_risk") == [1200.0]
    assert by(m["dbxray_bottleneck_score"], target="eu-prod", rank="2", kind="statement") == [62.0]
    assert by(m["dbxray_collection_duration_seconds"], target="ap-prod") == [1.5]
    assert by(m["dbxray_last_run_timestamp_seconds"], target="eu-prod") == [T0.timestamp() + 120]


def test_label_values_are_escaped_per_the_exposition_format():
    odd = 'we"ird\\db\nname'
    text = render(make_report(database=odd, host="db1"), "prometheus")
    m = parsed(text)
    assert {s.labels["target"] for s in m["dbxray_up"]} == {f"db1/{odd}"}
    assert 'target="db1/we\\"ird\\\\db\\nname"' in text
    assert len([line for line in text.splitlines() if line.startswith("dbxray_up")]) == 1


def test_a_single_report_takes_its_duration_from_the_report():
    m = parsed(render(make_report(), "prometheus"))
    assert by(m["dbxray_collection_duration_seconds"], target="db1/shop") == [pytest.approx(1.505)]
    assert by(m["dbxray_last_run_timestamp_seconds"], target="db1/shop") == [T0.timestamp()]


def test_the_textfile_is_written_to_prom_tmp_then_renamed(tmp_path, monkeypatch):
    path = tmp_path / "textfile" / "eu-prod.prom"
    write_textfile(path, "old 1\n")
    written: list[tuple[str, bool]] = []
    real = Path.write_text

    def spy(self, text, *a, **kw):
        written.append((self.name, path.read_text() == "old 1\n"))  # the old file stays readable meanwhile
        return real(self, text, *a, **kw)

    monkeypatch.setattr(Path, "write_text", spy)
    write_textfile(path, render_results([make_result()]))
    assert written == [("eu-prod.prom.tmp", True)]
    assert sorted(p.name for p in path.parent.iterdir()) == ["eu-prod.prom"]
    assert parsed(path.read_text())["dbxray_up"][0].value == 1.0


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "eu-prod.prom"
    write_textfile(path, "dbxray_up 1\n")

    def full_disk(self, *a, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", full_disk)
    with pytest.raises(OSError):
        write_textfile(path, "dbxray_up 0\n")
    assert path.read_text() == "dbxray_up 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eu-prod.prom"]
