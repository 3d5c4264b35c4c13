from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/register/", views.RegisterApi.as_view(), name="auth-register"),
    path("auth/token/", views.TokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/refresh/", views.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout/", views.LogoutApi.as_view(), name="auth-logout"),
    path("users/me/", views.MeApi.as_view(), name="users-me"),
    path("users/", views.UserListApi.as_view(), name="users-list"),
]
