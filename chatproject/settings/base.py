"""Settings for every mode. With no variable set this is the embedded default:
SQLite, fan-out inside the one process (realtime.hub.LocalHub), eager Celery, files on local disk and
generated secrets, all kept under PARLEY_DATA_DIR. Each integration switches on when its variable is set."""

import logging
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONE, SELF
from kombu import Queue

from core.queues import QUEUE_TYPES, typed_queue

from .embedded import read_or_create_secret_key, read_or_create_vapid_keys
from .environment import LEVELS, NETWORKS, RATES, Env, log_level, networks, one_of, rate

# Each variable is read once, here, and a value it cannot take is refused now (ImproperlyConfigured naming the
# variable, its value and what it must be), not at the first request. An empty service URL is as if unset.
# A number is refused below what it can mean (minimum=, or above= where 0 is no value either: a timeout or
# rate of 0); where 0 is allowed, the comment or .env.example says what it does.
env = Env()
BASE_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = Path(env.str("PARLEY_DATA_DIR", default=str(BASE_DIR / "data")))

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or read_or_create_secret_key(DATA_DIR)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# Addresses or networks of our own reverse proxies (nginx, the ingress): only what they append to
# X-Forwarded-For is believed (core.client_ip). Empty: the connecting peer is the client, whatever it claims.
TRUSTED_PROXIES = env.parsed("TRUSTED_PROXIES", default="", parse=networks, expected=NETWORKS)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "operations",  # before the admin: its templates add the status page to the admin's index
    "accounts.apps.ParleyAdminConfig",  # django.contrib.admin, its login rate-limited
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "solo",
    "drf_spectacular",
    "csp",  # django-csp's checks of CONTENT_SECURITY_POLICY
    "channels",
    "accounts",
    "messaging",
    "files",
    "notifications",
    "previews",
    "moderation",
    "frontend",
    "django_prometheus",  # HTTP and database metrics (issue #10, docs/operations.md)
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # first: times the whole request
    "core.logcontext.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # CONTENT_SECURITY_POLICY, below
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # /healthz, /readyz and /metrics whatever the Host header (probes and scrapers use the worker's address):
    # before CommonMiddleware, which refuses a host not in ALLOWED_HOSTS.
    "operations.probes.ProbeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.CommonMiddleware",  # Django's, redirecting to the trailing slash with a 308
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",  # last
]

ROOT_URLCONF = "chatproject.urls"
ASGI_APPLICATION = "chatproject.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: SQLite in the data folder unless DATABASE_URL names PostgreSQL (psycopg 3).
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
    )
}
# Reused connections: a Celery task or request opening its own costs more than the work it does.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Web workers pool their PostgreSQL connections (scripts/web-server turns this on): under ASGI, Django runs
# each request's database code in a thread of its own, so a connection kept for CONN_MAX_AGE served one
# request and the next one opened another (a PostgreSQL backend started per REST request). The pool is the
# process's, shared by those threads and by the sockets' database thread.
DATABASE_POOL = env.bool("DATABASE_POOL", default=False)
if DATABASE_POOL and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them instead
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10, minimum=2),  # min_size or more
        "timeout": 10,  # a request waits this long for a connection, then fails
    }
# Embedded mode writes to SQLite from several threads (requests, the sockets' database thread, eager tasks).
# A transaction that reads and then writes failed at once with "database is locked" when another had begun
# meanwhile (a 500, or a socket's frame lost); IMMEDIATE takes the write lock at BEGIN, so writers wait their
# turn (up to `timeout` seconds), and WAL lets readers read meanwhile.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
# The same backends, counting queries, errors and connections for /metrics (django-prometheus's, through
# core.db_backends).
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
    "django.db.backends.", "core.db_backends."
)
# Read replicas (core.db_router): history, search and list reads go to one of them, unless the user wrote in
# the last few seconds; everything else goes to the primary.
DATABASE_REPLICA_URLS = env.list("DATABASE_REPLICA_URLS", default=[])
DATABASE_REPLICAS = [f"replica{number}" for number in range(1, len(DATABASE_REPLICA_URLS) + 1)]
for _alias, _url in zip(DATABASE_REPLICAS, DATABASE_REPLICA_URLS, strict=True):
    DATABASES[_alias] = {
        **env.db_url_config(_url),
        "ENGINE": DATABASES["default"]["ENGINE"],
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},  # tests have one database; tests/test_db_router.py says why
    }
if DATABASE_REPLICA_URLS:
    DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django_prometheus.middleware.PrometheusAfterMiddleware"),
        "core.db_router.PinAfterWriteMiddleware",
    )

# Message search (docs/search.md): PostgreSQL's text search configuration, for stemming and stop words. The
# stored index (migration messaging 0008) is built in it: after changing it, run `manage.py search_reindex`.
SEARCH_CONFIG = env.str("SEARCH_CONFIG", default="english")

# --- Redis: fan-out between workers (realtime.hub: pub/sub, not a Channels layer), seqs and the recent
# log, cache (throttles) and presence; in-process stand-ins without it.
REDIS_URL = env.str("REDIS_URL", default="")
# Redis Cluster (docs/scaling.md): REDIS_CLUSTER_URLS=redis://host:port,... (some or all of its nodes), or
# REDIS_URL=redis+cluster://host:port,host:port. REDIS_URL then names the first node, for what only needs
# to know that Redis is there (core.redis.redis_enabled) and the pub/sub namespace (database 0).
REDIS_CLUSTER_URLS = env.list("REDIS_CLUSTER_URLS", default=[])
if REDIS_URL.startswith("redis+cluster://"):
    REDIS_CLUSTER_URLS = [
        f"redis://{node}" for node in REDIS_URL.removeprefix("redis+cluster://").split("/")[0].split(",")
    ]
if REDIS_CLUSTER_URLS:
    REDIS_URL = REDIS_CLUSTER_URLS[0]
if REDIS_CLUSTER_URLS:
    CACHES = {"default": {"BACKEND": "core.redis_cache.RedisClusterCache", "LOCATION": REDIS_CLUSTER_URLS}}
elif REDIS_URL:
    CACHES = {"default": {"BACKEND": "core.redis_cache.ProcessRedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: RabbitMQ when CELERY_BROKER_URL is set, otherwise tasks run in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after each task unless this is set
# (celery#9824 reverted honouring CONN_MAX_AGE); chatproject.celery applies CONN_MAX_AGE and health checks
# instead. The fixup still recycles a process's connections every this many tasks.
CELERY_DB_REUSE_MAX = 1000
# Broker connection lost: RabbitMQ redelivers the unacknowledged (acks_late) tasks to another worker, so stop
# running them here rather than run them twice at once (docs/scaling.md). SIGTERM is a warm shutdown.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_SERIALIZER = "json"
# Durable queues (Celery publishes persistent messages by default). A persistence task rejected for good is
# dead-lettered by RabbitMQ to "persistence.dead", which no worker consumes: operators re-queue from there.
# The persistence and push queues are quorum queues (RABBITMQ_QUEUE_TYPE; "classic" is the old kind): on a
# RabbitMQ cluster a quorum queue keeps every confirmed message through the loss of a minority of nodes; on
# one node it works as before. A quorum queue is bound to a topic exchange of its own name, so that Celery's
# countdowns use RabbitMQ's native delayed delivery (quorum queues have no global QoS to hold them in a
# worker). A queue declared earlier with the other type is converted, messages kept, by
# `manage.py convert_queues` (docs/operations.md; scripts/stack.sh runs it before starting the stack).
RABBITMQ_QUEUE_TYPE = env.parsed(
    "RABBITMQ_QUEUE_TYPE",
    default="quorum",
    parse=one_of(QUEUE_TYPES),
    expected=f"one of {', '.join(QUEUE_TYPES)}",
)
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (
    Queue("celery", durable=True),
    typed_queue(
        "persistence",
        RABBITMQ_QUEUE_TYPE,
        {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "persistence.dead"},
    ),
    typed_queue("push", RABBITMQ_QUEUE_TYPE),
)
CELERY_DEAD_LETTER_QUEUE = "persistence.dead"
# Once a web worker's event loop sends this many messages per second, it queues at most one persistence task
# per PERSISTENCE_BATCH_INTERVAL_MS (messaging.delivery.publisher): a send then waits up to that long for its
# ack, and Celery stores batches instead of single messages. Below that rate nothing waits.
PERSISTENCE_BATCH_ABOVE_PER_SECOND = env.int("PERSISTENCE_BATCH_ABOVE_PER_SECOND", default=120, minimum=0)
PERSISTENCE_BATCH_INTERVAL_MS = env.int("PERSISTENCE_BATCH_INTERVAL_MS", default=20, minimum=0)
# A persistence task first waits until its oldest message is this old, and takes the tasks queued meanwhile
# with it (messaging.delivery.waiting): below the queue's capacity Celery then stores a few messages per task
# instead of one, for half its CPU, and each message is stored up to this much later. 0: no wait.
PERSISTENCE_GATHER_MS = env.int("PERSISTENCE_GATHER_MS", default=40, minimum=0)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"

# --- Files: S3-compatible storage when S3_BUCKET is set, else local disk in the data folder.
S3_BUCKET = env.str("S3_BUCKET", default="")
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
# collectstatic's output. The image puts it outside the data folder (docker/Dockerfile), where a volume
# mounted on the data folder can neither hide it nor keep an older release's copy.
STATIC_ROOT = Path(env.str("PARLEY_STATIC_ROOT", default=str(DATA_DIR / "static")))
STATIC_URL = "/static/"
if S3_BUCKET:
    DEFAULT_STORAGE: dict[str, object] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default=""),
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default=""),
            "region_name": env.str("S3_REGION", default="us-east-1"),
            "default_acl": None,  # the bucket stays private: no public-read objects
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "signature_version": "s3v4",
            "addressing_style": "path",
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Where browsers reach the bucket, when not at S3_ENDPOINT_URL (files.storage): presigned URLs name this host.
S3_PUBLIC_ENDPOINT_URL = env.str("S3_PUBLIC_ENDPOINT_URL", default="")
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Cached for good (WhiteNoise: a 10-year max-age, immutable): the web app's build names every file under
# frontend/assets/ by its content hash, and the manifest storage copies every file to a name with a 12-hex
# hash. Anything else (the manifest, icons) keeps WhiteNoise's short max-age.
WHITENOISE_IMMUTABLE_FILE_TEST = rf"^{STATIC_URL}(?:frontend/assets/|.+\.[0-9a-f]{{12}}\.\w+$)"
FILE_UPLOAD_MAX_BYTES = env.int("FILE_UPLOAD_MAX_BYTES", default=25 * 1024 * 1024, minimum=1)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Where browsers upload to and download from with presigned URLs (docs/files.md): the bucket's public address.
_S3_BROWSER_ENDPOINT = S3_PUBLIC_ENDPOINT_URL or env.str("S3_ENDPOINT_URL", default="")
if not S3_BUCKET:  # files on local disk, served by Parley itself
    S3_BROWSER_ORIGINS: list[str] = []
elif _S3_BROWSER_ENDPOINT:
    S3_BROWSER_ORIGINS = [_origin(_S3_BROWSER_ENDPOINT)]
else:  # AWS, path-style addressing
    S3_BROWSER_ORIGINS = [
        "https://s3.amazonaws.com",
        f"https://s3.{env.str('S3_REGION', default='us-east-1')}.amazonaws.com",
    ]

# --- Content-Security-Policy (django-csp), on every response: scripts only from our own files (the Vite build
# has no inline script), nothing framed, no plugins, no <base>; the socket and the bucket are the only other
# places the page may talk to. The API docs widen it for their CDN (chatproject.urls).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Inline styles (style="" attributes such as the avatars' colours, and <style> elements the app's
        # libraries add) run no script; scripts stay 'self' only.
        "style-src": [SELF, "'unsafe-inline'"],
        # data: the favicon; blob: attachments the app fetched with its token; the bucket: presigned downloads
        "img-src": [SELF, "data:", "blob:", *S3_BROWSER_ORIGINS],
        "media-src": [SELF, "blob:", *S3_BROWSER_ORIGINS],
        "connect-src": [SELF, *S3_BROWSER_ORIGINS],  # 'self' includes ws(s):// to this host (CSP 3)
        "font-src": [SELF],
        "worker-src": [SELF],  # the service worker (/sw.js)
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Web push: VAPID keys from the environment, else generated once into the data folder.
VAPID_PUBLIC_KEY = env.str("VAPID_PUBLIC_KEY", default="")
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
# Generated keys are right for one machine only (operations.checks warns under `check --deploy`).
VAPID_KEYS_GENERATED = not (VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY)
if VAPID_KEYS_GENERATED:
    _vapid = read_or_create_vapid_keys(DATA_DIR)
    VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY = _vapid["public"], _vapid["private"]
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="mailto:admin@parley.invalid")

# --- Email (docs/accounts.md): rendered from templates and sent by a Celery task (accounts.tasks), never in
# a request. SMTP when EMAIL_URL (smtp://, smtp+tls://, smtps://, smtp+ssl://) or EMAIL_HOST is set;
# otherwise, as in the embedded mode, each message is written to DATA_DIR/mail/ and its links printed on the
# console.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Parley <parley@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10, minimum=1)
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
_email = env.smtp_url("EMAIL_URL")
if _email is not None:
    EMAIL_HOST, EMAIL_PORT = _email["EMAIL_HOST"], _email["EMAIL_PORT"]
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = (
        _email["EMAIL_HOST_USER"] or "",
        _email["EMAIL_HOST_PASSWORD"] or "",
    )
    EMAIL_USE_TLS, EMAIL_USE_SSL = _email.get("EMAIL_USE_TLS", False), _email.get("EMAIL_USE_SSL", False)
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "core.mail.DropFolderBackend"
# The site's address in emails' links (https://chat.example.com); unset = the address the request came to.
PUBLIC_URL = env.str("PUBLIC_URL", default="").rstrip("/")

# --- Accounts and authentication.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REST_FRAMEWORK = {
    # API tokens (`Bearer pk_…`) first: the JWT class would refuse one as a malformed JWT.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "accounts.authentication.SuspensionAwareJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.StaffHasTwoFactor",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],  # DRF's, refusing any depth with a 400
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",  # a bad `page` is a 400
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    # Client addresses come from core.client_ip (TRUSTED_PROXIES), never from DRF's own reading of the header.
    "NUM_PROXIES": 0,
    # Rate limits, documented in docs/api.md. Counted in the cache (Redis whenever REDIS_URL is set).
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttles.UserThrottle",
        "core.throttles.UserIPThrottle",
        "core.throttles.AnonThrottle",
    ],
    # Each from THROTTLE_<SCOPE> (THROTTLE_AUTH_IP, ...), a rate DRF can read: refused here, not by a request.
    "DEFAULT_THROTTLE_RATES": {
        scope: env.parsed(f"THROTTLE_{scope.upper()}", default=default, parse=rate, expected=RATES)
        for scope, default in {
            "auth_ip": "20/min",
            "auth_username": "10/min",
            "password_reset_address": "5/hour",
            "password_check": "10/hour",
            "email_send": "5/hour",
            "avatar_change": "30/hour",
            "user": "600/min",
            "user_ip": "1200/min",
            "anon": "120/min",
            "webhook": "60/min",
            "webhook_refused": "20/min",
        }.items()
    },
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=env.int("JWT_ACCESS_MINUTES", default=5, minimum=1, maximum=1440)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14, minimum=1, maximum=365)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": SECRET_KEY,
}
REFRESH_COOKIE_NAME = "parley_refresh"
# The account policy (accounts.models.AccountPolicy, a django-solo singleton) is read from the cache.
SOLO_CACHE = "default"
# Two-factor authentication (accounts.services.two_factor): TOTP apps show this name beside the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Parley")
# A password reset link works once, for this long.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=60 * 60, minimum=1)
REFRESH_COOKIE_SECURE = env.bool("REFRESH_COOKIE_SECURE", default=True)

SPECTACULAR_SETTINGS = {
    "TITLE": "Parley API",
    "DESCRIPTION": "Team chat: accounts, conversations, messages, files and push notifications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # `<id:…>` and `<uuid_id:…>` path parameters (core.ids): integers an id column can hold, and UUIDs; any
    # other is the endpoint's own 404, as for one that is not there.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
        "uuid_id": {"type": "string", "format": "uuid"},
    },
    # Every operation's error answers (400/401/403/404/413/415/429) in the one error shape.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_error_responses",
    ],
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Operations (issue #10, docs/operations.md): JSON logs, /metrics access, the Celery exporter.
# One JSON object per line (LOG_FORMAT=json), or plain text for a developer's terminal (LOG_FORMAT=text).
LOG_FORMAT = env.parsed("LOG_FORMAT", default="json", parse=one_of(("json", "text")), expected="json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "core.logcontext.ContextFilter"},
        "socket_path_only": {"()": "core.logcontext.SocketPathOnly"},
    },
    "formatters": {
        "json": {"()": "core.logcontext.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": LOG_FORMAT},
    },
    "root": {
        "handlers": ["console"],
        "level": env.parsed("LOG_LEVEL", default="INFO", parse=log_level, expected=LEVELS),
    },
    # uvicorn's own lines (its handler and format): a socket's handshake without its token.
    "loggers": {"uvicorn.error": {"filters": ["socket_path_only"]}},
}
# Log records skip what no line prints (the logging HOWTO's "Optimization"): the caller's file and line (a
# stack walk), the thread, the multiprocessing process name. A socket worker logs a line per acknowledged
# send: 17.5 -> 14 us a line.
logging._srcfile = None
logging.logThreads = False
logging.logMultiprocessing = False
# /metrics answers clients connecting directly from these addresses or networks, or holding the token
# (`Authorization: Bearer <METRICS_TOKEN>`); empty token = allow-list only.
METRICS_ALLOWED_IPS = env.parsed(
    "METRICS_ALLOWED_IPS", default="127.0.0.1,::1", parse=networks, expected=NETWORKS
)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# A Celery worker serves its metrics on this port (0 = not at all); under the prefork pool also set
# PROMETHEUS_MULTIPROC_DIR, for that worker only, to an empty folder.
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0, minimum=0, maximum=65535)
CELERY_METRICS_ADDRESS = env.str("CELERY_METRICS_ADDRESS", default="127.0.0.1")
# On SIGTERM a web worker closes its sockets (1001) and waits at most this long for them (realtime.shutdown).
# More than 0: drain() closes them only within that time, so 0 would close none.
PARLEY_DRAIN_SECONDS = env.float("PARLEY_DRAIN_SECONDS", default=10.0, above=0)

# --- Push notifications (notifications app). Sent only by Celery workers, on the "push" queue.
# A socket whose user has not touched the page for this many seconds (its `activity` frame) is not looking:
# its user is away (pushed) unless another socket of theirs is looking, and `idle` to others.
PRESENCE_IDLE_SECONDS = env.int("PRESENCE_IDLE_SECONDS", default=300, minimum=1)
# Seconds between a message being stored and the push decision; a message read meanwhile is not pushed.
PUSH_DELAY_SECONDS = env.int("PUSH_DELAY_SECONDS", default=3, minimum=0)
# How long a push service keeps an undelivered notification (the TTL header).
PUSH_TTL_SECONDS = env.int("PUSH_TTL_SECONDS", default=12 * 60 * 60, minimum=0)
PUSH_REQUEST_TIMEOUT_SECONDS = env.float("PUSH_REQUEST_TIMEOUT_SECONDS", default=10.0, above=0)
# 429/5xx/network failures: retried this many times, backing off from PUSH_RETRY_BACKOFF_SECONDS.
PUSH_MAX_RETRIES = env.int("PUSH_MAX_RETRIES", default=5, minimum=0)
PUSH_RETRY_BACKOFF_SECONDS = env.int("PUSH_RETRY_BACKOFF_SECONDS", default=10, minimum=1)
# Subscription endpoints must be https; only local tests allow http.
PUSH_ALLOW_HTTP_ENDPOINTS = env.bool("PUSH_ALLOW_HTTP_ENDPOINTS", default=False)
# Endpoint hosts must end with one of these (the browsers' push services); empty allows any host.
PUSH_ENDPOINT_HOST_SUFFIXES = env.list(
    "PUSH_ENDPOINT_HOST_SUFFIXES",
    default=[
        "fcm.googleapis.com",  # Chrome, Edge, Opera, Samsung
        "push.services.mozilla.com",  # Firefox
        "push.apple.com",  # Safari
        "notify.windows.com",  # legacy Edge
    ],
)
# Where a click on a notification leads, relative to the site.
PUSH_CONVERSATION_PATH = env.str("PUSH_CONVERSATION_PATH", default="/conversations/{conversation_id}")
# One schema enum for the all|mentions|none levels the preferences use for each conversation kind.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "NotificationLevelEnum": "notifications.models.NotificationLevel",
    # A conversation's own level adds "default" (the user's level for its kind): a schema of its own.
    "ConversationNotificationLevelEnum": "messaging.models.Membership.NotificationLevel",
}
CELERY_TASK_ROUTES = {
    "messaging.persist_messages": {"queue": "persistence"},
    "notifications.tasks.*": {"queue": "push"},
}

# --- Files app (issue #5): presigned URL lifetimes and upload housekeeping.
PRESIGNED_URL_MAX_SECONDS = 7 * 24 * 3600  # S3 (signature version 4) signs a URL for at most 7 days
FILES_UPLOAD_URL_EXPIRE_SECONDS = env.int(
    "FILES_UPLOAD_URL_EXPIRE_SECONDS", default=600, minimum=1, maximum=PRESIGNED_URL_MAX_SECONDS
)
FILES_DOWNLOAD_URL_EXPIRE_SECONDS = env.int(
    "FILES_DOWNLOAD_URL_EXPIRE_SECONDS", default=300, minimum=1, maximum=PRESIGNED_URL_MAX_SECONDS
)
FILES_PENDING_MAX_AGE = timedelta(days=1)  # uploads never completed are removed after this
FILES_UNSENT_MAX_AGE = timedelta(days=7)  # uploads completed but in no message are removed after this
# --- Link previews (previews app): URLs in messages unfurled by a Celery task through an SSRF-safe fetcher
# (docs/architecture.md, "Link previews").
PREVIEWS_ENABLED = env.bool("PREVIEWS_ENABLED", default=True)
PREVIEW_MAX_PER_MESSAGE = env.int("PREVIEW_MAX_PER_MESSAGE", default=3, minimum=0)
PREVIEW_CONNECT_TIMEOUT_SECONDS = env.float("PREVIEW_CONNECT_TIMEOUT_SECONDS", default=3.0, above=0)
PREVIEW_READ_TIMEOUT_SECONDS = env.float("PREVIEW_READ_TIMEOUT_SECONDS", default=5.0, above=0)
# The whole fetch of a page or an image, redirects included.
PREVIEW_TOTAL_TIMEOUT_SECONDS = env.float("PREVIEW_TOTAL_TIMEOUT_SECONDS", default=8.0, above=0)
PREVIEW_MAX_REDIRECTS = env.int("PREVIEW_MAX_REDIRECTS", default=3, minimum=0)
PREVIEW_MAX_PAGE_BYTES = env.int("PREVIEW_MAX_PAGE_BYTES", default=1024 * 1024, minimum=1)
PREVIEW_MAX_IMAGE_BYTES = env.int("PREVIEW_MAX_IMAGE_BYTES", default=5 * 1024 * 1024, minimum=1)
# A URL's preview (or its failure) is reused for this long before it is fetched again.
PREVIEW_CACHE_SECONDS = env.int("PREVIEW_CACHE_SECONDS", default=24 * 60 * 60, minimum=0)
PREVIEW_FAILURE_CACHE_SECONDS = env.int("PREVIEW_FAILURE_CACHE_SECONDS", default=60 * 60, minimum=0)
# A preview no message shows any more is removed (with its image) once not fetched for this many days. At
# least 1: at 0 the hourly purge could remove one fetched for a message before the message showed it.
PREVIEW_KEEP_DAYS = env.int("PREVIEW_KEEP_DAYS", default=30, minimum=1, maximum=3650)
# TESTS ONLY: hosts (as written in the URL) whose addresses are not checked, so that tests can unfurl their
# own servers on 127.0.0.1. Never set in production: it reopens exactly what the fetcher closes.
PREVIEW_ALLOWED_TEST_HOSTS = env.list("PREVIEW_ALLOWED_TEST_HOSTS", default=[])
CELERY_BEAT_SCHEDULE = {
    "files-purge-stale-uploads": {
        "task": "files.tasks.purge_stale_uploads_task",
        "schedule": timedelta(hours=1),
    },
    "messaging-purge-expired-messages": {
        "task": "messaging.tasks.purge_expired_messages_task",
        "schedule": timedelta(hours=1),
    },
    "previews-purge-stale-link-previews": {
        "task": "previews.tasks.purge_stale_link_previews_task",
        "schedule": timedelta(hours=1),
    },
    "accounts-purge-expired-data-exports": {
        "task": "accounts.tasks.purge_expired_data_exports_task",
        "schedule": timedelta(hours=1),
    },
}

# --- Socket rate limits (issue #8), each a burst then a steady rate: write frames per account on each web
# worker (its sockets there share them), signals and syncs per socket (realtime.ratelimit).
SOCKET_RATE_BURST = env.int("SOCKET_RATE_BURST", default=20, minimum=1)
SOCKET_RATE_PER_SECOND = env.float("SOCKET_RATE_PER_SECOND", default=5.0, above=0)
# typing, read and activity frames
SOCKET_SIGNAL_RATE_BURST = env.int("SOCKET_SIGNAL_RATE_BURST", default=60, minimum=1)
SOCKET_SIGNAL_RATE_PER_SECOND = env.float("SOCKET_SIGNAL_RATE_PER_SECOND", default=10.0, above=0)
# sync frames (each a page of replay)
SOCKET_SYNC_RATE_BURST = env.int("SOCKET_SYNC_RATE_BURST", default=20, minimum=1)
SOCKET_SYNC_RATE_PER_SECOND = env.float("SOCKET_SYNC_RATE_PER_SECOND", default=2.0, above=0)
# An account's open sockets, on all workers together (tabs, devices, bots): one more is closed with 4429.
SOCKETS_PER_USER_MAX = env.int("SOCKETS_PER_USER_MAX", default=30, minimum=1)
# A socket whose client falls this far behind is closed with 4408 (realtime.outbox, docs/protocol.md): what it
# has not taken yet — queued frames plus what the server buffers for it — past this many bytes, or its oldest
# unsent frame past this age. It reconnects and `sync`s.
SOCKET_OUTBOX_MAX_BYTES = env.int("SOCKET_OUTBOX_MAX_BYTES", default=1024 * 1024, minimum=1)
SOCKET_OUTBOX_MAX_AGE_SECONDS = env.float("SOCKET_OUTBOX_MAX_AGE_SECONDS", default=10.0, above=0)
