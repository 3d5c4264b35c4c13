"""Tests run against the real services on this machine (PostgreSQL, Redis, RabbitMQ);
each variable can be overridden, e.g. to give parallel runs their own database."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/parley")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")

from .base import *  # noqa: E402, F403

# Argon2 stays the hasher; a cheaper cost keeps hundreds of test logins fast.
PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
REFRESH_COOKIE_SECURE = False
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (WhiteNoise warns about a missing root)
# Worker threads of async tests must not keep connections past a test (the test database is flushed and
# dropped under them).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
