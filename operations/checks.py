"""`manage.py check --deploy`: what a deployment of several processes must be given, where base.py would
otherwise fall back, silently, to the embedded mode's single-process stand-ins (the embedded mode, with no
broker: one process, tasks run in it, is right to use them, so it is never warned); and a refresh cookie
sent over plain HTTP."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import checks


@dataclass(frozen=True)
class StandIn:
    id: str
    in_use: bool
    message: str
    hint: str


def _stand_ins() -> list[StandIn]:
    return [
        StandIn(
            "parley.W001",
            not settings.REDIS_URL,
            "REDIS_URL is not set: each process fans out, counts throttles and keeps presence on its own, so "
            "a message sent through one web worker never reaches the sockets of another.",
            "Set REDIS_URL (or REDIS_CLUSTER_URLS): docs/scaling.md.",
        ),
        StandIn(
            "parley.W002",
            not settings.S3_BUCKET,
            f"S3_BUCKET is not set: files are stored on this machine's disk ({settings.MEDIA_ROOT}), which "
            "other containers or machines do not see.",
            "Set S3_BUCKET and its S3_* settings: docs/files.md.",
        ),
        StandIn(
            "parley.W003",
            settings.VAPID_KEYS_GENERATED,
            "VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY are not both set: a key pair was generated into the data "
            "folder, so each container signs pushes with its own pair and subscriptions break across them.",
            "Generate one pair and give every process the same: docs/notifications.md.",
        ),
        StandIn(
            "parley.W004",
            settings.EMAIL_BACKEND == "core.mail.DropFolderBackend",
            f"Neither EMAIL_URL nor EMAIL_HOST is set: emails (password resets, address verification) are "
            f"written to {settings.EMAIL_FILE_PATH}, never sent.",
            "Set EMAIL_URL (smtp+tls://user:password@host:587) or EMAIL_HOST: docs/accounts.md.",
        ),
    ]


@checks.register("parley", deploy=True)
def single_process_stand_ins(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.CELERY_TASK_ALWAYS_EAGER:  # the embedded mode
        return []
    return [
        checks.Warning(stand_in.message, hint=stand_in.hint, id=stand_in.id)
        for stand_in in _stand_ins()
        if stand_in.in_use
    ]


@checks.register(checks.Tags.security, deploy=True)
def refresh_cookie_secure(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.REFRESH_COOKIE_SECURE:
        return []
    return [
        checks.Warning(
            "REFRESH_COOKIE_SECURE is false: the refresh token's cookie (a session for JWT_REFRESH_DAYS) is "
            "also sent over plain HTTP, where anyone on the way can read it.",
            hint="Serve Parley over HTTPS and unset it (false is for plain-HTTP local stacks).",
            id="parley.W005",
        )
    ]
