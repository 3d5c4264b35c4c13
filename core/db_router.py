"""Read replicas (DATABASE_REPLICA_URLS): history, search and list reads may go to a replica; every other
read, and every write, goes to the primary.

A replica lags its primary by a little. So that nobody misses what they just did, a user who wrote (any
successful unsafe request) is pinned to the primary for READ_YOUR_WRITES_SECONDS, by a short-lived marker in
the cache (Redis, shared by every worker); while it lives, their reads all go to the primary. Only views
that opt in (`ReplicaReadsMixin`) read from replicas, and only outside a transaction: socket replays, the
journal and Celery tasks, which must see the latest stored seqs, always read the primary."""

import random
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

READ_YOUR_WRITES_SECONDS = 5
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_aliases() -> list[str]:
    aliases: list[str] = settings.DATABASE_REPLICAS
    return aliases


class ReplicaRouter:
    """DATABASE_ROUTERS, when replicas are configured."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if (
            _replica_reads.get()
            and not connections["default"].in_atomic_block
            and (aliases := replica_aliases())
        ):
            return random.choice(aliases)  # noqa: S311 (spreading load, not a secret)
        return None  # the primary ("default")

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # every alias holds the same data

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"  # replicas follow the primary's schema


def pin_key(user_id: int) -> str:
    return f"primary-pin:{user_id}"


def pin_to_primary(user_id: int) -> None:
    cache.set(pin_key(user_id), 1, timeout=READ_YOUR_WRITES_SECONDS)


def pinned_to_primary(user_id: int) -> bool:
    return bool(cache.get(pin_key(user_id)))


def allow_replica_reads(user_id: int | None) -> Token[bool] | None:
    """Let this request's reads go to a replica, unless there is none or the user wrote a moment ago. Returns
    the token to reset (`end_replica_reads`), or None when nothing changed."""
    if not replica_aliases() or (user_id is not None and pinned_to_primary(user_id)):
        return None
    return _replica_reads.set(True)


def end_replica_reads(token: Token[bool] | None) -> None:
    if token is not None:
        _replica_reads.reset(token)


# For DRF views that read history, search or lists: their reads may go to a replica (see the module). A
# comment, not a docstring: drf-spectacular would show a docstring as each view's description.
class ReplicaReadsMixin:
    _replica_token: Token[bool] | None = None

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method in SAFE_METHODS:
            self._replica_token = allow_replica_reads(request.user.pk)

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        end_replica_reads(self._replica_token)
        self._replica_token = None
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]


class PinAfterWriteMiddleware:
    """After a successful unsafe request by a signed-in user, pin them to the primary (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            request.method not in SAFE_METHODS
            and response.status_code < 400
            and user
            and user.is_authenticated
        ):
            pin_to_primary(user.pk)
        return response
