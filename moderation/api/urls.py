from django.urls import path

import core.ids  # noqa: F401  (registers the `<uuid_id:…>` path converter)
from moderation.api import views

urlpatterns = [
    path("messages/<uuid_id:message_id>/report/", views.MessageReportApi.as_view(), name="message-report"),
]
