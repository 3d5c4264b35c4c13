"""Settings are read in a fresh interpreter per mode, with exactly the variables each mode documents."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "db": settings.DATABASES["default"]["ENGINE"],
    "redis": settings.REDIS_URL,
    "cache": settings.CACHES["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "storage": settings.STORAGES["default"]["BACKEND"],
    "vapid_public": settings.VAPID_PUBLIC_KEY,
    "secret": settings.SECRET_KEY,
    "static_root": str(settings.STATIC_ROOT),
}))
"""
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "k3V9-pQz_7wLr2mXc8Yt5NbH0sJd4FgAe6UoIi1Zv" * 2,
    "DATABASE_URL": "postgres://parley@db.internal:5432/parley",
    "CELERY_BROKER_URL": "amqp://parley:secret@mq.internal:5672//",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "DJANGO_ALLOWED_HOSTS": "chat.example.com",
}


def run_python(args: list[str], settings_module: str, extra_env: dict[str, str], data_dir: Path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(data_dir),
        "DJANGO_SETTINGS_MODULE": settings_module,
        "PARLEY_DATA_DIR": str(data_dir),
        **extra_env,
    }
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def probe(settings_module: str, extra_env: dict[str, str], data_dir: Path) -> dict:
    result = run_python(["-c", PROBE], settings_module, extra_env, data_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# An env file's `DATABASE_URL=` (as .env.example has `REDIS_CLUSTER_URLS=`) is as if unset: DATABASE_URL= was
# a KeyError 'ENGINE'.
@pytest.mark.parametrize(
    "given", [{}, {name: "" for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "S3_BUCKET")}]
)
def test_embedded_default_needs_no_service(tmp_path, given):
    found = probe("chatproject.settings.base", given, tmp_path)
    assert found["db"] == "core.db_backends.sqlite3"
    assert found["redis"] == ""  # fan-out, seqs and presence stay in-process
    assert found["eager"] is True
    assert found["storage"] == "django.core.files.storage.FileSystemStorage"
    assert found["static_root"] == str(tmp_path / "static")


def test_static_files_can_live_outside_the_data_folder(tmp_path):
    # the image collects them into /app/static, where no volume on the data folder hides them
    found = probe(
        "chatproject.settings.production", {**PRODUCTION_ENV, "PARLEY_STATIC_ROOT": "/app/static"}, tmp_path
    )
    assert found["static_root"] == "/app/static"


CONCURRENT_WRITERS = """
import json, threading, django
django.setup()
from django.db import connection, connections, transaction
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE counter (n INTEGER)")
    cursor.execute("INSERT INTO counter VALUES (0)")
errors, both_read = [], threading.Barrier(2)
def add_one():
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT n FROM counter")
            try:
                both_read.wait(timeout=1)  # let the other read too, if it may
            except threading.BrokenBarrierError:
                pass
            cursor.execute("UPDATE counter SET n = n + 1")
    except Exception as error:
        errors.append(str(error))
    finally:
        connections.close_all()
writers = [threading.Thread(target=add_one) for _ in range(2)]
for writer in writers: writer.start()
for writer in writers: writer.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT n FROM counter")
    print(json.dumps({"errors": errors, "n": cursor.fetchone()[0]}))
"""


def test_embedded_sqlite_lets_two_writers_wait_their_turn(tmp_path):
    # two threads that each read, then write (a request and the socket's database thread): the second failed
    # at once with "database is locked" (a 500 or a lost frame in embedded mode)
    result = run_python(["-c", CONCURRENT_WRITERS], "chatproject.settings.base", {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"errors": [], "n": 2}


def test_embedded_default_generates_secrets_once_and_keeps_them(tmp_path):
    first = probe("chatproject.settings.base", {}, tmp_path)
    second = probe("chatproject.settings.base", {}, tmp_path)
    assert first["vapid_public"] == second["vapid_public"]
    assert first["secret"] == second["secret"]
    assert len(first["vapid_public"]) == 87  # an uncompressed P-256 point, base64url without padding
    assert (tmp_path / "vapid.json").stat().st_mode & 0o077 == 0


def test_full_stack_variables_switch_every_integration_on(tmp_path):
    found = probe(
        "chatproject.settings.base",
        {
            **PRODUCTION_ENV,
            "S3_BUCKET": "parley",
            "S3_ENDPOINT_URL": "http://127.0.0.1:9000",
            "VAPID_PUBLIC_KEY": "pub",
            "VAPID_PRIVATE_KEY": "priv",
        },
        tmp_path,
    )
    assert found["db"] == "core.db_backends.postgresql"
    assert found["redis"] == "redis://cache.internal:6379/0"
    assert found["cache"] == "core.redis_cache.ProcessRedisCache"
    assert found["eager"] is False
    assert found["storage"] == "storages.backends.s3.S3Storage"
    assert found["vapid_public"] == "pub"
    assert not (tmp_path / "vapid.json").exists()


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"])
@pytest.mark.parametrize("empty", [False, True], ids=["unset", "empty"])
def test_production_refuses_to_start_without_its_required_variables(tmp_path, missing, empty):
    # empty was taken for unset: a key generated per container, SQLite, tasks run in-process (and no warning)
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    if empty:
        env[missing] = ""
    result = run_python(["-c", PROBE], "chatproject.settings.production", env, tmp_path)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


@pytest.mark.parametrize("queue_type", ["Classic", "stream", "qourum"])
def test_an_unknown_queue_type_is_refused_at_start(tmp_path, queue_type):
    # RabbitMQ would refuse it only when a worker first declared its queues, far from the cause
    env = {**PRODUCTION_ENV, "RABBITMQ_QUEUE_TYPE": queue_type}
    result = run_python(["-c", PROBE], "chatproject.settings.production", env, tmp_path)
    assert result.returncode != 0
    assert f"RABBITMQ_QUEUE_TYPE must be one of quorum, classic, not {queue_type!r}" in result.stderr


SMTP_URL = (
    "an SMTP URL (smtp://, smtp+tls://, smtps:// or smtp+ssl://) with a host, and any port from 1 to 65535"
)

# Each loads the settings with one variable set: the first failed with a bare ValueError, a logging error, or
# only at the first request or /metrics scrape (a 500).
BAD_VALUES = [  # variable, value, what it must be
    ("DATABASE_CONN_MAX_AGE", "abc", "a whole number"),
    ("EMAIL_PORT", "x", "a whole number"),
    ("JWT_ACCESS_MINUTES", "x", "a whole number"),
    ("PERSISTENCE_GATHER_MS", "x", "a whole number"),
    ("CELERY_METRICS_PORT", "abc", "a whole number"),
    ("FILE_UPLOAD_MAX_BYTES", "25MB", "a whole number"),
    ("PUSH_REQUEST_TIMEOUT_SECONDS", "x", "a number"),
    ("SOCKET_RATE_PER_SECOND", "x", "a number"),
    ("PARLEY_DRAIN_SECONDS", "abc", "a number"),
    ("LOG_FORMAT", "xml", "json or text"),
    ("LOG_LEVEL", "LOUD", "a log level"),
    ("TRUSTED_PROXIES", "bad", "addresses or networks"),
    ("METRICS_ALLOWED_IPS", "10.0.0.0/8,not-an-ip", "addresses or networks"),
    ("THROTTLE_AUTH_IP", "abc", "a rate"),
    ("REFRESH_COOKIE_SECURE", "ture", "yes or no"),  # read as no: the cookie went over plain HTTP
    # A number with stray characters: django-environ's float kept the digits, commas, dots and minus signs.
    ("PUSH_REQUEST_TIMEOUT_SECONDS", "10s", "a number more than 0"),  # read as 10
    ("PARLEY_DRAIN_SECONDS", "1,5", "a number more than 0"),  # 1.5
    ("SOCKET_RATE_PER_SECOND", "1,000", "a number more than 0"),  # 1.0
    ("SOCKET_SIGNAL_RATE_PER_SECOND", "10/s", "a number more than 0"),  # 10.0
    ("SOCKET_SYNC_RATE_PER_SECOND", "2 per second", "a number more than 0"),  # 2.0
    ("SOCKET_OUTBOX_MAX_AGE_SECONDS", "10 s", "a number more than 0"),  # 10.0
    ("PREVIEW_CONNECT_TIMEOUT_SECONDS", "3sec", "a number more than 0"),  # 3.0
    ("PREVIEW_READ_TIMEOUT_SECONDS", "5_s", "a number more than 0"),  # 5.0
    ("PREVIEW_TOTAL_TIMEOUT_SECONDS", "1e309", "a number more than 0"),  # 1309.0 (infinity, read whole)
    # A port past 65535 or a port that is no number was urllib's bare ValueError; no host, the drop folder.
    ("EMAIL_URL", "smtp://mail.example.com:abc", SMTP_URL),
    ("EMAIL_URL", "smtp+tls://mail.example.com:70000", SMTP_URL),
    ("EMAIL_URL", "smtp://:587", SMTP_URL),
    # Below what the variable can mean (each loaded before): negative, or 0 where 0 means nothing.
    ("DATABASE_CONN_MAX_AGE", "-1", "a whole number, 0 or more"),
    ("PERSISTENCE_BATCH_ABOVE_PER_SECOND", "-120", "a whole number, 0 or more"),
    ("PERSISTENCE_BATCH_INTERVAL_MS", "-20", "a whole number, 0 or more"),
    ("PERSISTENCE_GATHER_MS", "-1", "a whole number, 0 or more"),
    ("FILE_UPLOAD_MAX_BYTES", "0", "a whole number, 1 or more"),
    ("FILES_UPLOAD_URL_EXPIRE_SECONDS", "0", "a whole number from 1 to 604800"),
    ("FILES_DOWNLOAD_URL_EXPIRE_SECONDS", "-300", "a whole number from 1 to 604800"),
    ("EMAIL_TIMEOUT", "0", "a whole number, 1 or more"),
    ("EMAIL_PORT", "0", "a whole number from 1 to 65535"),
    ("EMAIL_PORT", "65536", "a whole number from 1 to 65535"),
    ("JWT_ACCESS_MINUTES", "0", "a whole number from 1 to 1440"),
    ("JWT_REFRESH_DAYS", "-14", "a whole number from 1 to 365"),
    ("PASSWORD_RESET_TIMEOUT_SECONDS", "-3600", "a whole number, 1 or more"),
    ("CELERY_METRICS_PORT", "-1", "a whole number from 0 to 65535"),
    ("PARLEY_DRAIN_SECONDS", "-10", "a number more than 0"),
    ("PRESENCE_IDLE_SECONDS", "0", "a whole number, 1 or more"),
    ("PUSH_DELAY_SECONDS", "-3", "a whole number, 0 or more"),
    ("PUSH_TTL_SECONDS", "-1", "a whole number, 0 or more"),
    ("PUSH_REQUEST_TIMEOUT_SECONDS", "0", "a number more than 0"),
    ("PUSH_MAX_RETRIES", "-1", "a whole number, 0 or more"),
    ("PUSH_RETRY_BACKOFF_SECONDS", "0", "a whole number, 1 or more"),
    ("PREVIEW_MAX_PER_MESSAGE", "-1", "a whole number, 0 or more"),
    ("PREVIEW_CONNECT_TIMEOUT_SECONDS", "-3", "a number more than 0"),
    ("PREVIEW_READ_TIMEOUT_SECONDS", "0", "a number more than 0"),
    ("PREVIEW_TOTAL_TIMEOUT_SECONDS", "-8", "a number more than 0"),
    ("PREVIEW_MAX_REDIRECTS", "-1", "a whole number, 0 or more"),
    ("PREVIEW_MAX_PAGE_BYTES", "0", "a whole number, 1 or more"),
    ("PREVIEW_MAX_IMAGE_BYTES", "-1", "a whole number, 1 or more"),
    ("PREVIEW_CACHE_SECONDS", "-1", "a whole number, 0 or more"),
    ("PREVIEW_FAILURE_CACHE_SECONDS", "-60", "a whole number, 0 or more"),
    ("PREVIEW_KEEP_DAYS", "0", "a whole number from 1 to 3650"),
    # Above what it can mean: past S3's 7 days a presigned URL is refused by the storage; a lifetime of a
    # billion days was an OverflowError traceback at start-up.
    ("FILES_UPLOAD_URL_EXPIRE_SECONDS", "604801", "a whole number from 1 to 604800"),
    ("JWT_ACCESS_MINUTES", "1441", "a whole number from 1 to 1440"),
    ("JWT_REFRESH_DAYS", "1000000000", "a whole number from 1 to 365"),
    ("PREVIEW_KEEP_DAYS", "3651", "a whole number from 1 to 3650"),
    ("SOCKET_RATE_BURST", "0", "a whole number, 1 or more"),
    ("SOCKET_RATE_PER_SECOND", "0", "a number more than 0"),
    ("SOCKET_SIGNAL_RATE_BURST", "-1", "a whole number, 1 or more"),
    ("SOCKET_SIGNAL_RATE_PER_SECOND", "-10", "a number more than 0"),
    ("SOCKET_SYNC_RATE_BURST", "0", "a whole number, 1 or more"),
    ("SOCKET_SYNC_RATE_PER_SECOND", "0.0", "a number more than 0"),
    ("SOCKETS_PER_USER_MAX", "0", "a whole number, 1 or more"),
    ("SOCKET_OUTBOX_MAX_BYTES", "0", "a whole number, 1 or more"),
    ("SOCKET_OUTBOX_MAX_AGE_SECONDS", "-1", "a number more than 0"),
]
GOOD_VALUES = [  # variable, value, the setting it gives
    ("METRICS_ALLOWED_IPS", "10.0.0.0/8, 127.0.0.1", ["10.0.0.0/8", "127.0.0.1"]),
    ("TRUSTED_PROXIES", " 10.0.0.1 ,", ["10.0.0.1"]),
    ("PARLEY_DRAIN_SECONDS", "2.5", 2.5),
    ("REFRESH_COOKIE_SECURE", "Off", False),
    ("PREVIEWS_ENABLED", " no ", False),
    ("PREVIEW_TOTAL_TIMEOUT_SECONDS", "1e1", 10.0),  # 11.0 before
    ("SOCKET_OUTBOX_MAX_AGE_SECONDS", " 0.5 ", 0.5),
    # 0 where it says something: no wait, no pacing, off, at once, dropped unless deliverable at once, no
    # retry, no redirect followed, not reused
    ("PERSISTENCE_GATHER_MS", "0", 0),
    ("PERSISTENCE_BATCH_INTERVAL_MS", "0", 0),
    ("CELERY_METRICS_PORT", "0", 0),
    ("PUSH_DELAY_SECONDS", "0", 0),
    ("PUSH_TTL_SECONDS", "0", 0),
    ("PUSH_MAX_RETRIES", "0", 0),
    ("PREVIEW_MAX_REDIRECTS", "0", 0),
    ("PREVIEW_CACHE_SECONDS", "0", 0),
    ("EMAIL_PORT", "65535", 65535),
    ("FILES_DOWNLOAD_URL_EXPIRE_SECONDS", "604800", 604800),
]
LOAD_EACH = """
import importlib, json, os, sys
found = []
for name, value in json.loads(sys.argv[1]):
    os.environ[name] = value
    sys.modules.pop("chatproject.settings.base", None)
    try:
        found.append(getattr(importlib.import_module("chatproject.settings.base"), name, "(loaded)"))
    except Exception as error:
        found.append(f"{type(error).__name__}: {error}")
    del os.environ[name]
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> dict[tuple[str, str], object]:
    """What loading the settings gave for each of BAD_VALUES and GOOD_VALUES: the setting, the error, or
    "(loaded)" for a variable read into a setting of another name (JWT_ACCESS_MINUTES)."""
    cases = [(name, value) for name, value, _ in BAD_VALUES + GOOD_VALUES]
    result = run_python(
        ["-c", LOAD_EACH, json.dumps(cases)], "chatproject.settings.base", {}, tmp_path_factory.mktemp("data")
    )
    assert result.returncode == 0, result.stderr
    return dict(zip(cases, json.loads(result.stdout), strict=True))


@pytest.mark.parametrize(("variable", "value", "expected"), BAD_VALUES)
def test_a_bad_value_is_refused_at_load_naming_the_variable_and_the_value(loaded, variable, value, expected):
    error = str(loaded[variable, value])
    assert error.startswith(f"ImproperlyConfigured: {variable} must be {expected}"), error
    assert error.endswith(f", not {value!r}"), error


def test_spaces_around_addresses_fractions_of_seconds_and_meaningful_zeros_are_read(loaded):
    for variable, value, setting in GOOD_VALUES:
        assert loaded[variable, value] == setting, variable


def test_a_refused_email_url_is_shown_without_its_password(tmp_path):
    # a bad port was urllib's "Port could not be cast to integer value as 'abc'", in a traceback
    env = {"EMAIL_URL": "smtp+tls://parley:s3cret@mail.example.com:abc"}
    result = run_python(["-c", PROBE], "chatproject.settings.base", env, tmp_path)
    assert result.returncode != 0
    refusal = result.stderr.strip().splitlines()[-1]
    assert refusal == (
        f"django.core.exceptions.ImproperlyConfigured: EMAIL_URL must be {SMTP_URL}, "
        "not 'smtp+tls://parley:***@mail.example.com:abc'"
    )
    assert "s3cret" not in result.stderr


@pytest.mark.parametrize(
    ("given", "refusal"),
    [
        # the pool's min_size is 2: psycopg_pool refused a smaller max_size at the first query
        (
            {"DATABASE_POOL": "true", "DATABASE_POOL_MAX_SIZE": "1"},
            "DATABASE_POOL_MAX_SIZE must be a whole number, 2 or more, not '1'",
        ),
        (
            {"DJANGO_SECURE_HSTS_SECONDS": "-1"},
            "DJANGO_SECURE_HSTS_SECONDS must be a whole number, 0 or more",
        ),
    ],
)
def test_production_refuses_numbers_below_what_they_can_mean(tmp_path, given, refusal):
    result = run_python(
        ["-c", PROBE], "chatproject.settings.production", {**PRODUCTION_ENV, **given}, tmp_path
    )
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {refusal}" in result.stderr


def test_every_number_read_from_the_environment_has_a_lower_bound():
    # a variable added later says what it can mean too (minimum=, or above=)
    unbounded = []
    for module in (ROOT / "chatproject" / "settings").glob("*.py"):
        for call in ast.walk(ast.parse(module.read_text())):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in ("int", "float")
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id in ("env", "_env")
                and not {keyword.arg for keyword in call.keywords} & {"minimum", "above"}
            ):
                unbounded.append(f"{module.name}: {ast.unparse(call)}")
    assert unbounded == []


# Everything a deployment of several processes is given (docker/k8s/configmap.yaml, secret.example.yaml).
FULL_PRODUCTION_ENV = {
    **PRODUCTION_ENV,
    "S3_BUCKET": "parley",
    "VAPID_PUBLIC_KEY": "pub",
    "VAPID_PRIVATE_KEY": "priv",
    "EMAIL_URL": "smtp+tls://parley:secret@smtp.example.com:587",
}
STAND_IN_WARNINGS = ("parley.W001", "parley.W002", "parley.W003", "parley.W004")


def check_deploy(settings_module: str, env: dict[str, str], data_dir: Path):
    return run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], settings_module, env, data_dir
    )


def test_check_deploy_is_clean_with_the_documented_production_variables(tmp_path):
    result = check_deploy("chatproject.settings.production", FULL_PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_of_each_single_process_stand_in_production_falls_back_to(tmp_path):
    # given: production with only what it demands (a strong key, the database, the broker)
    env = {key: PRODUCTION_ENV[key] for key in ("DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL")}

    # when
    result = check_deploy("chatproject.settings.production", env, tmp_path)

    # then: Redis, S3, the VAPID pair and email are each named, with where to read how to set them
    assert result.returncode != 0
    output = result.stderr
    for warning in STAND_IN_WARNINGS:
        assert f"({warning})" in output, warning
    for named in ("REDIS_URL", "S3_BUCKET", "VAPID_PRIVATE_KEY", "EMAIL_URL", "HINT: Set REDIS_URL"):
        assert named in output


def test_the_embedded_mode_is_not_warned_of_its_own_stand_ins(tmp_path):
    # one process, tasks run in it: the stand-ins are what it is made of
    result = check_deploy("chatproject.settings.base", {}, tmp_path)
    assert not any(warning in result.stdout + result.stderr for warning in STAND_IN_WARNINGS)


REFRESH_COOKIE_PROBE = """
import django
from django.conf import settings
django.setup()
print(settings.REFRESH_COOKIE_SECURE)
"""


@pytest.mark.parametrize(("given", "secure"), [({}, "True"), ({"REFRESH_COOKIE_SECURE": "false"}, "False")])
def test_production_reads_refresh_cookie_secure_and_defaults_to_secure(tmp_path, given, secure):
    env = {**FULL_PRODUCTION_ENV, **given}
    result = run_python(["-c", REFRESH_COOKIE_PROBE], "chatproject.settings.production", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == secure


def test_check_deploy_warns_of_a_refresh_cookie_sent_over_plain_http(tmp_path):
    env = {**FULL_PRODUCTION_ENV, "REFRESH_COOKIE_SECURE": "false"}
    result = check_deploy("chatproject.settings.production", env, tmp_path)
    assert result.returncode != 0
    assert "(parley.W005) REFRESH_COOKIE_SECURE is false" in result.stderr


def test_the_kubernetes_example_settings_need_no_stand_in(tmp_path):
    # configmap.yaml and secret.example.yaml hold every setting a deployment of several processes needs
    k8s = ROOT / "docker" / "k8s"
    env = {
        **yaml.safe_load((k8s / "configmap.yaml").read_text())["data"],
        **yaml.safe_load((k8s / "secret.example.yaml").read_text())["stringData"],
    }
    result = check_deploy(env.pop("DJANGO_SETTINGS_MODULE"), env, tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert not any(warning in result.stderr for warning in STAND_IN_WARNINGS), result.stderr


CLUSTERED_PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "redis": settings.REDIS_URL,
    "cluster": settings.REDIS_CLUSTER_URLS,
    "cache": settings.CACHES["default"]["BACKEND"],
    "replicas": {alias: settings.DATABASES[alias]["HOST"] for alias in settings.DATABASE_REPLICAS},
    "routers": settings.DATABASE_ROUTERS,
    "pin": "core.db_router.PinAfterWriteMiddleware" in settings.MIDDLEWARE,
}))
"""


def test_clustered_engines_are_named_by_their_variables(tmp_path):
    env = {
        **PRODUCTION_ENV,
        "REDIS_URL": "redis+cluster://redis-a:6379,redis-b:6380",
        "DATABASE_REPLICA_URLS": "postgres://parley@replica-1:5432/parley,postgres://parley@replica-2:5432/parley",
    }
    result = run_python(["-c", CLUSTERED_PROBE], "chatproject.settings.production", env, tmp_path)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["cluster"] == ["redis://redis-a:6379", "redis://redis-b:6380"]
    assert found["redis"] == "redis://redis-a:6379"  # Redis is there: the full-stack code paths run
    assert found["cache"] == "core.redis_cache.RedisClusterCache"
    assert found["replicas"] == {"replica1": "replica-1", "replica2": "replica-2"}
    assert found["routers"] == ["core.db_router.ReplicaRouter"]
    assert found["pin"] is True


def test_one_redis_and_no_replica_stay_as_they_were(tmp_path):
    result = run_python(["-c", CLUSTERED_PROBE], "chatproject.settings.production", PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["cluster"] == []
    assert found["cache"] == "core.redis_cache.ProcessRedisCache"
    assert found["replicas"] == {}
    assert found["routers"] == []
    assert found["pin"] is False
