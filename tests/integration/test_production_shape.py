"""docker-compose.yml cannot run here (no engine), so its structure is checked, and the
dashboard's queries are checked against the metrics the services really export."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import yaml

from tests.conftest import make_settings
from tests.support import signing
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {
    "console": 8000,
    "ingest": 8001,
    "matcher": 8002,
    "opportunity": 8003,
    "scoring": 8004,
    "attribution": 8005,
    "outbound": 8006,
}
PROMQL_WORDS = {
    "sum",
    "by",
    "rate",
    "increase",
    "max",
    "histogram_quantile",
    "le",
    "job",
    "topic",
    "group",
    "outcome",
    "source",
    "reason",
}


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_whole_production_stack() -> None:
    services = compose()["services"]
    assert {
        "postgres",
        "kafka",
        "otel-collector",
        "jaeger",
        "prometheus",
        "grafana",
        "migrate",
        *SERVICES,
    } <= set(services)
    assert (
        services["kafka"]["image"].startswith("apache/kafka")
        and "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    )
    for name, port in SERVICES.items():
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile" and (ROOT / "deploy/Dockerfile").exists()
        assert service["command"][:2] == ["serve", name] and str(port) in service["command"]
        assert service["ports"] == [f"{port}:{port}"]
        assert "healthcheck" in service
        env = service["environment"]
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092" and env["DATABASE_URL"].startswith(
            "postgresql://"
        )
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://otel-collector")
        assert env["KAFKA_IDEMPOTENT_PRODUCER"] == "true" and "API_KEYS" in env
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for healthy in ("postgres", "kafka"):
        assert "healthcheck" in services[healthy]


def test_prometheus_scrapes_every_service_and_grafana_is_provisioned() -> None:
    scrape = yaml.safe_load((ROOT / "deploy/prometheus.yml").read_text())["scrape_configs"]
    targets = {job["job_name"]: job["dns_sd_configs"][0] for job in scrape}
    assert {name: (t["names"], t["port"]) for name, t in targets.items()} == {
        name: ([name], port) for name, port in SERVICES.items()
    }
    mounts = compose()["services"]["grafana"]["volumes"]
    assert any(m.startswith("./deploy/grafana/dashboards:") for m in mounts)
    collector = yaml.safe_load((ROOT / "deploy/otel-collector.yaml").read_text())
    assert collector["service"]["pipelines"]["traces"]["exporters"] == ["otlp/jaeger"]


def dashboard_metrics() -> set[str]:
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/cascade.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    titles = [panel["title"] for panel in dashboard["panels"]]
    assert any("lag" in t.lower() for t in titles) and any("p99" in t for t in titles)
    assert any("dead" in t.lower() for t in titles) and any("per second" in t for t in titles)
    names = {
        word
        for expr in exprs
        for word in re.findall(r"[a-z_][a-z0-9_]*", re.sub(r'"[^"]*"|\[[^]]*\]', "", expr))
    }
    return names - PROMQL_WORDS - {"dead_lettered"}


async def test_the_dashboard_queries_metrics_the_services_export(database_url: str, broker: Broker) -> None:
    wanted = dashboard_metrics()
    assert "cascade_consumer_lag" in wanted and "http_server_duration_milliseconds_bucket" in wanted
    secret = "metrics-webhook-secret"
    settings = make_settings(database_url, broker.bootstrap, webhook_secrets={"generic": secret})
    async with InProcessStack(settings) as stack:
        await stack.wait_connected()
        ingest = stack.client("ingest")
        lead = await ingest.post("/v1/leads", json={"email": f"m-{uuid.uuid4().hex}@metrics.example"})
        body = json.dumps({"email": f"w-{uuid.uuid4().hex}@metrics.example"}).encode()
        signed = signing.standard(secret, f"msg_{uuid.uuid4().hex}", body)
        assert (await ingest.post("/v1/webhooks/generic", content=body, headers=signed)).status_code == 200
        unsigned = await ingest.post(
            "/v1/webhooks/generic", content=body, headers={"Content-Type": "application/json"}
        )
        assert unsigned.status_code == 401

        async def converted() -> bool:
            match = await stack.client("matcher").get(f"/v1/leads/{lead.json()['lead_id']}/match")
            return bool(match.json()["status"] != "pending")

        await eventually(converted)
        scraped = (await stack.client("ingest").get("/metrics")).text
    exported = {
        line.split("{")[0].split(" ")[0] for line in scraped.splitlines() if line and not line.startswith("#")
    }
    assert wanted <= exported, f"the dashboard queries metrics nobody exports: {sorted(wanted - exported)}"
