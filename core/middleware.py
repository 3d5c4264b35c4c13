"""What a middleware that runs the same under WSGI and ASGI needs (Django's "sync and async" middleware):
it declares both, and answers a coroutine where the handler it wraps is async, so that Django adds no
thread hop around it."""

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse


class SyncAndAsyncMiddleware:
    """Subclasses write `handle` (sync) and `ahandle` (async); the right one runs for the handler."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        return self.ahandle(request) if self.is_async else self.handle(request)

    def handle(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError

    async def ahandle(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError
