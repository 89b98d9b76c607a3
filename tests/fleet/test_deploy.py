"""Scheduling by the platform: the Kubernetes CronJob and its ConfigMap, the systemd service and timer,
the documented cron line. No cluster or init system runs here, so each is parsed and checked for what
matters, its dbxray command line is parsed by dbxray's own CLI, and the units go through
``systemd-analyze verify`` where it is installed."""

from __future__ import annotations

import itertools
import re
import shlex
import shutil
import subprocess
import sys
import zoneinfo
from pathlib import Path

import pytest
import typer.main
import yaml

from dbxray.cli import app
from dbxray.config import load_config

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "docker" / "k8s" / "cronjob.yaml"
SYSTEMD = ROOT / "deploy" / "systemd"
DOCS = ROOT / "docs" / "scheduling.md"
CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def report_params(args: list[str]) -> dict:
    """The options ``dbxray report`` would run with: dbxray's own parser, so a typo'd flag fails here."""
    command = typer.main.get_command(app).commands["report"]
    return command.make_context("report", list(args)).params


def valid_cron(schedule: str) -> bool:
    fields = schedule.split()
    if len(fields) != 5:
        return False
    for field, (low, high) in zip(fields, CRON_RANGES):
        for part in field.split(","):
            m = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
            if not m:
                return False
            numbers = [int(n) for n in m.groups()[1:] if n is not None]
            if any(not low <= n <= high for n in numbers[:2]) or (m.group(4) and int(m.group(4)) == 0):
                return False
    return True


@pytest.mark.parametrize("schedule, ok", [("15 3 * * *", True), ("*/10 * * * 1-5", True), ("0 24 * * *", False),
                                          ("15 3 * *", False), ("@daily", False), ("0 0 32 * *", False)])
def test_the_cron_check_itself(schedule, ok):
    assert valid_cron(schedule) is ok


# -- Kubernetes ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def manifests() -> dict[str, dict]:
    docs = [d for d in yaml.safe_load_all(K8S.read_text(encoding="utf-8")) if d]
    return {d["kind"]: d for d in docs}


def pod_of(cronjob: dict) -> dict:
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def dockerfile_uid() -> int:
    text = (ROOT / "docker" / "dbxray" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^ENTRYPOINT \["dbxray"\]$', text, re.MULTILINE)
    return int(re.search(r"useradd .*--uid (\d+)", text).group(1))


def test_the_cronjob_is_a_valid_batch_v1_cronjob(manifests):
    cj = manifests["CronJob"]
    assert cj["apiVersion"] == "batch/v1" and cj["metadata"]["name"]
    spec = cj["spec"]
    assert valid_cron(spec["schedule"]) and spec["timeZone"] in zoneinfo.available_timezones()
    assert spec["concurrencyPolicy"] == "Forbid"
    pod = pod_of(cj)
    assert pod["restartPolicy"] in ("Never", "OnFailure") and pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    assert set(container["resources"]["requests"]) == {"cpu", "memory"} and container["resources"]["limits"]["memory"]


def test_the_pod_runs_as_the_images_non_root_user_on_a_read_only_root(manifests):
    pod = pod_of(manifests["CronJob"])
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == dockerfile_uid() != 0
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]  # the only writable place


def test_the_image_is_the_one_docker_dbxray_builds(manifests):
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))
    built = {s["image"] for s in compose["services"].values()
             if isinstance(s.get("build"), dict) and s["build"]["dockerfile"] == "docker/dbxray/Dockerfile"}
    (container,) = pod_of(manifests["CronJob"])["containers"]
    assert container["image"] in built


def test_the_container_runs_report_all_with_history_and_every_secret_from_secrets(manifests):
    pod = pod_of(manifests["CronJob"])
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    args = container["args"]
    assert args[:2] == ["report", "--all"] and args[args.index("--history") + 1] == "$(DBXRAY_HISTORY)"
    for ref in re.findall(r"\$\((\w+)\)", " ".join(args)):
        assert ref in env, f"args use $({ref}), which the container does not define"
    assert env["DBXRAY_HISTORY"]["valueFrom"]["secretKeyRef"]["key"]
    # dbxray's own parser takes the arguments (as Kubernetes expands them)
    params = report_params([re.sub(r"\$\(\w+\)", "postgresql://runner@history/dbxray", a) for a in args[1:]])
    assert params["all_targets"] and params["history"] == "postgresql://runner@history/dbxray"
    assert params["jobs"] >= 1 and params["keep_days"] > 0
    # the ConfigMap's dbxray.toml is a valid fleet, mounted where DBXRAY_CONFIG says
    config_map = manifests["ConfigMap"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    volume = next(v for v in pod["volumes"] if v["name"] == "config")
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    assert env["DBXRAY_CONFIG"]["value"] == f"{mount['mountPath']}/dbxray.toml"


def test_the_configmap_fleet_loads_and_each_dsn_comes_from_a_secret(manifests, tmp_path):
    (container,) = pod_of(manifests["CronJob"])["containers"]
    env = {e["name"]: e for e in container["env"]}
    path = tmp_path / "dbxray.toml"
    path.write_text(manifests["ConfigMap"]["data"]["dbxray.toml"], encoding="utf-8")
    cfg = load_config(path)  # validates every key, refuses a password
    assert len(cfg.targets) >= 2
    for target in cfg.targets.values():
        assert target.dsn is None and target.dsn_env
        assert "secretKeyRef" in env[target.dsn_env]["valueFrom"], target.name


# -- systemd ------------------------------------------------------------------------------------------
def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file as systemd reads it: sections of keys, repeated keys kept in order, continuations joined."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    text = re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8"))
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_the_service_is_a_hardened_oneshot_reading_dsns_from_an_environment_file():
    service = unit(SYSTEMD / "dbxray-report.service")["Service"]
    assert service["Type"] == ["oneshot"]
    assert service.get("DynamicUser") == ["yes"] or service.get("User") == ["dbxray"]
    assert service["EnvironmentFile"] == ["/etc/dbxray/dbxray.env"]
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "PrivateDevices": "yes", "RestrictNamespaces": "yes",
                       "CapabilityBoundingSet": "", "SystemCallArchitectures": "native"}.items():
        assert service[key] == [value], key
    assert "AF_INET" in service["RestrictAddressFamilies"][0].split()
    assert service["SuccessExitStatus"] == ["1 4"]
    (exec_start,) = service["ExecStart"]
    argv = shlex.split(exec_start)
    assert argv[0].endswith("/dbxray") and argv[1] == "report"
    params = report_params(argv[2:])
    assert params["all_targets"] and params["history"].startswith("sqlite:////var/lib/dbxray/")
    state = service["StateDirectory"][0].split()
    assert str(params["output"]).startswith("/var/lib/dbxray/") and any(
        str(params["output"]) == f"/var/lib/{d}" for d in state)  # writable under ProtectSystem=strict


def test_the_long_running_service_reports_on_a_schedule_and_stops_cleanly():
    monitor, oneshot = unit(SYSTEMD / "dbxray-monitor.service"), unit(SYSTEMD / "dbxray-report.service")
    service = monitor["Service"]
    assert service["Type"] == ["exec"] and service["Restart"] == ["on-failure"]
    assert service["SuccessExitStatus"] == ["143"]  # SIGTERM ends dbxray with 128 + 15
    hardening = {k: v for k, v in oneshot["Service"].items() if k not in
                 {"Type", "SuccessExitStatus", "ExecStart", "TimeoutStartSec", "Restart", "RestartSec"}}
    assert {k: service.get(k) for k in hardening} == hardening  # as hardened as the oneshot, same user and state
    (exec_start,) = service["ExecStart"]
    argv = shlex.split(exec_start)
    params = report_params(argv[2:])
    assert params["all_targets"] and params["every"] == "15m" and params["count"] is None
    assert params["history"].startswith("sqlite:////var/lib/dbxray/")
    assert monitor["Install"]["WantedBy"] == ["multi-user.target"]
    assert int(monitor["Unit"]["StartLimitBurst"][0]) > 1


def test_the_timer_runs_daily_persistent_and_spread():
    timer = unit(SYSTEMD / "dbxray-report.timer")
    assert timer["Timer"]["Persistent"] == ["true"] and timer["Timer"]["RandomizedDelaySec"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    (calendar,) = timer["Timer"]["OnCalendar"]
    if shutil.which("systemd-analyze"):
        out = subprocess.run(["systemd-analyze", "calendar", "--iterations=3", calendar], capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        times = re.findall(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", out.stdout)
        import datetime as dt

        stamps = [dt.datetime.fromisoformat(t) for t in times]
        assert len(stamps) == 3 and {b - a for a, b in itertools.pairwise(stamps)} == {dt.timedelta(days=1)}
    else:
        assert re.fullmatch(r"(daily|\*-\*-\* \d\d:\d\d(:\d\d)?)", calendar)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_units(tmp_path):
    """``verify`` wants ExecStart to exist: point it at this checkout's dbxray, as an install would."""
    here = str(Path(sys.executable).with_name("dbxray"))
    names = ("dbxray-report.service", "dbxray-report.timer", "dbxray-monitor.service")
    for name in names:
        text = (SYSTEMD / name).read_text(encoding="utf-8").replace("/opt/dbxray/bin/dbxray", here)
        (tmp_path / name).write_text(text, encoding="utf-8")
    out = subprocess.run(["systemd-analyze", "verify", *(str(tmp_path / name) for name in names)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "Unknown" not in out.stderr + out.stdout, out.stderr


def test_the_sysusers_line_creates_the_services_user():
    line = next(ln for ln in (SYSTEMD / "dbxray.sysusers.conf").read_text().splitlines() if ln.startswith("u "))
    kind, name, uid, *_rest = shlex.split(line)
    assert (kind, name, uid) == ("u", "dbxray", "-")


# -- cron (documented) --------------------------------------------------------------------------------
def test_the_documented_cron_line_is_valid_and_runs_the_fleet():
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"```crontab\n(.*?)```", text, re.DOTALL).group(1)
    (line,) = [ln for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    fields = line.split(None, 6)
    assert valid_cron(" ".join(fields[:5])) and fields[5] == "dbxray"  # /etc/cron.d: a user column
    assert "%" not in fields[6]  # cron turns % into newlines
    command = shlex.split(fields[6])
    start = next(i for i, word in enumerate(command[:-1]) if word.rsplit("/", 1)[-1] == "dbxray"
                 and command[i + 1] == "report")
    params = report_params(command[start + 2:])
    assert params["all_targets"] and params["history"]
