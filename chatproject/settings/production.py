"""Production: the secret key, database and broker come from the environment, with no defaults;
HTTPS everywhere behind a TLS-terminating proxy."""

from .environment import Env

_env = Env()
# Fail before anything else is loaded: each raises ImproperlyConfigured when its variable is unset or empty
# (base.py would take an empty one for unset: a key generated per container, SQLite, tasks run in-process).
for _required in ("DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"):
    _env.required(_required)

from .base import *  # noqa: E402, F403

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = _env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365, minimum=0)  # 0: none
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Probes and Prometheus reach the workers directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The refresh token's cookie: Secure unless REFRESH_COOKIE_SECURE=false, for a plain-HTTP stack reached by
# another name than localhost (docker compose on a LAN address); `check --deploy` warns of it (parley.W005).
REFRESH_COOKIE_SECURE = _env.bool("REFRESH_COOKIE_SECURE", default=True)
