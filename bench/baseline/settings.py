"""Settings for the baseline: Channels and Daphne only — no database, no auth, no persistence.

The channel layer is the stock RedisChannelLayer with two changes that keep it correct under the bench (Parley
itself fans out through realtime.hub, not a channel layer): `socket_timeout=None` (redis-py 8 otherwise
closes idle layer connections after 5 s, channels_redis#422) and `capacity=1000` (the default 100 drops
messages silently after a few hundred ms of backlog)."""

import os

SECRET_KEY = "bench-baseline-not-secret"  # noqa: S105 - nothing here is signed
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["daphne", "channels"]
ASGI_APPLICATION = "bench.baseline.asgi.application"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": os.environ.get("BASELINE_REDIS_URL", "redis://127.0.0.1:6379/12"),
                    "socket_timeout": None,
                }
            ],
            "capacity": 1000,
        },
    }
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
