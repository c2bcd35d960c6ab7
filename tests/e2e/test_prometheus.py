"""The alert rules in deploy/: `promtool` checks them and runs their tests against recorded
series, and a real Prometheus (Debian's package) scrapes the services as processes and
evaluates them."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from deploy.embedded import free_port, wait_for_port
from tests.conftest import make_settings
from tests.support.infra import Broker
from tests.support.processes import ServiceProcesses
from tests.support.stack import eventually

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/prometheus-alerts.yml"
ALL = ("ingest", "matcher", "opportunity", "scoring")


def tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is missing: apt-get install -y prometheus (.ci/run does)"
    return found


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("promtool"), *args], capture_output=True, text=True, cwd=ROOT / "deploy")


def test_the_alert_rules_pass_promtool_and_their_tests_on_recorded_series() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "prometheus-alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    config = promtool("check", "config", "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr
    rules = yaml.safe_load(RULES.read_text())["groups"]
    names = {rule["alert"] for group in rules for rule in group["rules"]}
    tests = (ROOT / "deploy/prometheus-alerts.test.yml").read_text()
    assert {name for name in names if f"alertname: {name}" not in tests} == set(), "every alert has a test"


def rule_metrics() -> set[str]:
    exprs = [rule["expr"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
    words = {w for e in exprs for w in re.findall(r"[a-z_][a-z0-9_]*", re.sub(r'"[^"]*"|\[[^]]*\]', "", e))}
    return {w for w in words if w.startswith("cascade_")}


@pytest.fixture
def stack(fresh_database_url: str, broker: Broker) -> Iterator[ServiceProcesses]:
    processes = ServiceProcesses(make_settings(fresh_database_url, broker.bootstrap), ALL)
    try:
        yield processes.start_all()
    finally:
        processes.stop()


@pytest.fixture
def prometheus(stack: ServiceProcesses) -> Iterator[str]:
    """Prometheus scraping every service each second, with the rules of deploy/."""
    workdir = Path(tempfile.mkdtemp(prefix="cascade-prometheus-"))
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {"job_name": name, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
            for name, port in stack.ports.items()
        ],
    }
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    process = subprocess.Popen(
        [
            tool("prometheus"),
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(workdir, ignore_errors=True)


async def api(prometheus: str, path: str, **params: str) -> Any:
    async with httpx.AsyncClient(base_url=prometheus, timeout=10) as client:
        response = await client.get(f"/api/v1/{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_a_real_prometheus_scrapes_the_services_and_evaluates_the_alerts(
    stack: ServiceProcesses, prometheus: str
) -> None:
    async def all_up() -> bool:
        targets = (await api(prometheus, "targets"))["activeTargets"]
        return len(targets) == len(ALL) and all(t["health"] == "up" for t in targets)

    await eventually(all_up, timeout=120, interval=1)
    async with stack.client("ingest") as ingest:  # events through every consumer
        posted = await ingest.post("/v1/leads", json={"email": "ada@prometheus.example", "company": "Prom"})
        assert posted.status_code == 202

    # Counters that appear with their first increment (a dead letter, an SLA breach) aside.
    first_increment = {"cascade_outbox_dead_letters_total", "cascade_sla_breaches_total"}

    async def missing() -> set[str]:
        return rule_metrics() - set(await api(prometheus, "label/__name__/values")) - first_increment

    async def exported() -> bool:
        return not await missing()

    try:
        await eventually(exported, timeout=60, interval=1)
    except AssertionError:
        raise AssertionError(f"the rules query metrics nobody exports: {sorted(await missing())}") from None

    async def evaluated() -> bool:
        groups = (await api(prometheus, "rules"))["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        return len(rules) == 7 and all(
            r["health"] == "ok" and r.get("lastEvaluation", "").startswith("2") for r in rules
        )

    await eventually(evaluated, timeout=60, interval=1)
    stack.kill("scoring")

    async def down_alert() -> list[Any]:
        alerts = (await api(prometheus, "alerts"))["alerts"]
        return [a for a in alerts if a["labels"]["alertname"] == "CascadeServiceDown"]

    [alert] = await eventually(down_alert, timeout=60, interval=1)
    assert alert["labels"]["job"] == "scoring" and alert["state"] in ("pending", "firing")
