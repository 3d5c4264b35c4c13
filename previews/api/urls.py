from django.urls import path

from previews.api import views

urlpatterns = [
    path("previews/<uuid:preview_id>/image/", views.PreviewImageApi.as_view(), name="previews-image"),
]
