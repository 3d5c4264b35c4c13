from django.urls import path, re_path

from frontend import views

# Every path the server does not own belongs to the client-side router.
CLIENT_ROUTE = r"^(?!(?:api|admin|ws|static|media)(?:/|$)|(?:healthz|readyz)$).*$"

urlpatterns = [
    path("sw.js", views.service_worker, name="service-worker"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    re_path(CLIENT_ROUTE, views.index, name="index"),
]
