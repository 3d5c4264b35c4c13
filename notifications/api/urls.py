from django.urls import path

import core.ids  # noqa: F401  (registers the `<id:…>` path converter)
from notifications.api import views

urlpatterns = [
    path("push/key/", views.PushKeyApi.as_view(), name="push-key"),
    path("push/subscriptions/", views.PushSubscriptionListCreateApi.as_view(), name="push-subscriptions"),
    path(
        "push/subscriptions/<id:subscription_id>/",
        views.PushSubscriptionDetailApi.as_view(),
        name="push-subscription-detail",
    ),
    path(
        "users/me/notifications/", views.NotificationPreferencesApi.as_view(), name="notification-preferences"
    ),
]
