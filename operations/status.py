"""The staff status page in the admin (docs/operations.md, "Status page"): live figures in words a
moderator understands, and a button that re-queues dead-lettered messages once their cause is fixed."""

from django.contrib import messages
from django.contrib.admin import site
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from operations import selectors, services
from operations.broker import PERSISTENCE_QUEUE, PUSH_QUEUE

QUEUE_CAPTIONS = {
    PERSISTENCE_QUEUE: "Messages sent but not yet saved",
    PUSH_QUEUE: "Push notifications waiting to go out",
}


def status_view(request: HttpRequest) -> HttpResponse:
    """Staff only: wrapped in admin.site.admin_view (login, is_staff, CSRF) by operations.urls."""
    if request.method == "POST" and "requeue" in request.POST:
        return _requeue(request)
    status = selectors.status_get()
    queues = [
        {"name": name, "caption": QUEUE_CAPTIONS[name], "depth": status.queue_depths.get(name)}
        for name in QUEUE_CAPTIONS
    ]
    context = {
        **site.each_context(request),
        "title": "Live status",
        "status": status,
        "queues": queues,
    }
    return TemplateResponse(request, "admin/parley_status.html", context)


def _requeue(request: HttpRequest) -> HttpResponse:
    try:
        moved = services.dead_letters_requeue()
    except Exception:
        messages.error(request, "RabbitMQ could not be reached: nothing was re-queued. Try again shortly.")
    else:
        messages.success(request, f"{moved} failed batch(es) sent back to be saved.")
    return HttpResponseRedirect(reverse("admin-status"))
