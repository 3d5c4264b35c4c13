"""Middleware the apps share: what one that runs the same under WSGI and ASGI needs (Django's "sync and async"
middleware: it declares both, and answers a coroutine where the handler it wraps is async, so that Django adds
no thread hop around it), and Django's CommonMiddleware redirecting with a 308."""

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware


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


class PermanentRedirectKeepingMethod(HttpResponsePermanentRedirect):
    status_code = 308


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's, but a URL missing its trailing slash is redirected with 308, which keeps the method and the
    body: with Django's 301, clients repeat a POST or a PATCH (`/api/v1/conversations`) as a GET, and what
    the call was to do silently does not happen."""

    response_redirect_class = PermanentRedirectKeepingMethod
