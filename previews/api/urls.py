from django.urls import path

import core.ids  # noqa: F401  (registers the `<uuid_id:…>` path converter)
from previews.api import views

urlpatterns = [
    path("previews/<uuid_id:preview_id>/image/", views.PreviewImageApi.as_view(), name="previews-image"),
]
