from django.urls import path

import core.ids  # noqa: F401  (registers the `<id:…>` path converter)
from accounts.api import security, views

urlpatterns = [
    path("auth/register/", views.RegisterApi.as_view(), name="auth-register"),
    path("auth/sign-up-policy/", views.SignUpPolicyApi.as_view(), name="auth-sign-up-policy"),
    path("invitations/", views.InvitationListApi.as_view(), name="invitations"),
    path("invitations/<id:invitation_id>/", views.InvitationDetailApi.as_view(), name="invitation"),
    path("auth/token/", views.TokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/refresh/", views.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout/", views.LogoutApi.as_view(), name="auth-logout"),
    path("auth/password/change/", security.PasswordChangeApi.as_view(), name="auth-password-change"),
    path("auth/password/reset/", security.PasswordResetApi.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm/",
        security.PasswordResetConfirmApi.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("auth/email/verify/", security.EmailVerifyApi.as_view(), name="auth-email-verify"),
    path("users/me/email/", security.EmailChangeApi.as_view(), name="users-me-email"),
    path(
        "users/me/email/verification/",
        security.EmailVerificationResendApi.as_view(),
        name="users-me-email-verification",
    ),
    path("users/me/export/", security.DataExportApi.as_view(), name="users-me-export"),
    path(
        "users/me/export/download/", security.DataExportDownloadApi.as_view(), name="users-me-export-download"
    ),
    path("users/me/delete/", security.AccountDeleteApi.as_view(), name="users-me-delete"),
    path("sessions/", security.LoginSessionListApi.as_view(), name="sessions"),
    path("sessions/sign-out-everywhere/", security.SignOutEverywhereApi.as_view(), name="sessions-end-all"),
    path("sessions/<str:session_id>/", security.LoginSessionDetailApi.as_view(), name="session"),
    path("two-factor/", security.TwoFactorApi.as_view(), name="two-factor"),
    path("two-factor/totp/", security.TotpEnrolmentApi.as_view(), name="two-factor-totp"),
    path("two-factor/totp/confirm/", security.TotpConfirmApi.as_view(), name="two-factor-totp-confirm"),
    path("two-factor/disable/", security.TwoFactorDisableApi.as_view(), name="two-factor-disable"),
    path("two-factor/recovery-codes/", security.RecoveryCodesApi.as_view(), name="two-factor-recovery-codes"),
    path("users/me/avatar/", views.AvatarApi.as_view(), name="users-me-avatar"),
    path("users/me/", views.MeApi.as_view(), name="users-me"),
    path("users/", views.UserListApi.as_view(), name="users-list"),
    path("blocks/", views.BlockListApi.as_view(), name="blocks"),
    path("blocks/<id:user_id>/", views.BlockDetailApi.as_view(), name="block"),
]

urlpatterns += [
    path("tokens/", views.ApiTokenListApi.as_view(), name="api-tokens"),
    path("tokens/<id:token_id>/", views.ApiTokenDetailApi.as_view(), name="api-token"),
    path("bots/", views.BotListApi.as_view(), name="bots"),
    path("bots/<id:bot_id>/", views.BotDetailApi.as_view(), name="bot"),
    path("bots/<id:bot_id>/tokens/", views.BotTokenListApi.as_view(), name="bot-tokens"),
    path("bots/<id:bot_id>/tokens/<id:token_id>/", views.BotTokenDetailApi.as_view(), name="bot-token"),
]
