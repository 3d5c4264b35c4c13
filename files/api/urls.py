from django.urls import path

from files.api import views

urlpatterns = [
    path("files/", views.FileCreateApi.as_view(), name="files-create"),
    path("files/<uuid:file_id>/", views.FileDiscardApi.as_view(), name="files-discard"),
    path("files/<uuid:file_id>/content/", views.FileContentApi.as_view(), name="files-content"),
    path("files/<uuid:file_id>/complete/", views.FileCompleteApi.as_view(), name="files-complete"),
    path("files/<uuid:file_id>/download/", views.FileDownloadApi.as_view(), name="files-download"),
    path("files/<uuid:file_id>/thumbnail/", views.FileThumbnailApi.as_view(), name="files-thumbnail"),
]
