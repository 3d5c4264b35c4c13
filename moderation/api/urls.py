from django.urls import path

from moderation.api import views

urlpatterns = [
    path("messages/<uuid:message_id>/report/", views.MessageReportApi.as_view(), name="message-report"),
]
