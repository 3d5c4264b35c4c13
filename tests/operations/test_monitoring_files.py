"""The monitoring profile of docker/compose.yaml is valid, and every metric its dashboard and alerts query
is one Parley actually exports (a renamed metric would otherwise leave an empty panel or a silent alert)."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY, generate_latest

from operations.monitoring import LIVE_REGISTRY
from tests.test_deploy_files import COMPOSE_FILE, _compose_command

DOCKER = Path(__file__).resolve().parents[2] / "docker"
DASHBOARD = DOCKER / "grafana" / "dashboards" / "parley.json"
ALERTS = DOCKER / "prometheus" / "alerts.yml"
METRIC = re.compile(r"\b(?:parley|django)_[a-z_]+\b")


def test_the_monitoring_profile_adds_prometheus_and_grafana():
    result = subprocess.run(
        [
            *_compose_command(),
            "-f",
            str(COMPOSE_FILE),
            "--profile",
            "monitoring",
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert {"prometheus", "grafana", "web", "worker", "persistence"} <= set(services)
    worker_env = services["worker"]["environment"]
    assert worker_env["CELERY_METRICS_PORT"] == "9808"
    assert worker_env["PROMETHEUS_MULTIPROC_DIR"]  # prefork: the pool processes share their values
    assert services["persistence"]["environment"]["CELERY_METRICS_PORT"] == "9808"  # one process: no folder
    scrape_configs = yaml.safe_load((DOCKER / "prometheus" / "prometheus.yml").read_text())["scrape_configs"]
    [celery_job] = [job for job in scrape_configs if job["job_name"] == "parley-worker"]
    assert {"worker", "persistence"} <= set(celery_job["dns_sd_configs"][0]["names"])
    assert "METRICS_TOKEN" in services["web"]["environment"]


def queried_metrics() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    rules = yaml.safe_load(ALERTS.read_text())["groups"][0]["rules"]
    exprs += [str(rule["expr"]) for rule in rules]
    return {name for expr in exprs for name in METRIC.findall(expr)}


@pytest.mark.django_db
def test_every_queried_metric_is_exported(client):
    # given: one request to a page, so django-prometheus has created its per-view series (the probes and
    # /metrics are answered before its inner middleware: operations/probes.py)
    client.get("/api/v1/auth/sign-up-policy/")
    exported = generate_latest(REGISTRY).decode() + generate_latest(LIVE_REGISTRY).decode()

    # then
    names = set(METRIC.findall(exported))
    missing = queried_metrics() - names
    assert not missing, f"queried but never exported: {sorted(missing)}"
    assert {"parley_persistence_lag_seconds_bucket", "parley_queue_messages"} <= queried_metrics()
