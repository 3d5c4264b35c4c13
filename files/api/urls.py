from django.urls import path

import core.ids  # noqa: F401  (registers the `<uuid_id:…>` path converter)
from files.api import views

urlpatterns = [
    path("files/", views.FileCreateApi.as_view(), name="files-create"),
    path("files/<uuid_id:file_id>/", views.FileDiscardApi.as_view(), name="files-discard"),
    path("files/<uuid_id:file_id>/content/", views.FileContentApi.as_view(), name="files-content"),
    path("files/<uuid_id:file_id>/complete/", views.FileCompleteApi.as_view(), name="files-complete"),
    path("files/<uuid_id:file_id>/download/", views.FileDownloadApi.as_view(), name="files-download"),
    path("users/<id:user_id>/avatar/", views.AvatarApi.as_view(), name="users-avatar"),
    path("files/<uuid_id:file_id>/thumbnail/", views.FileThumbnailApi.as_view(), name="files-thumbnail"),
]
