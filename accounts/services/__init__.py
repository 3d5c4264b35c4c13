"""Every write to accounts (docs/architecture.md): users, API tokens and bots (`users`), login sessions
(`sessions`), passwords (`passwords`), two-factor authentication (`two_factor`), email verification
(`verification`), blocks (`blocks`), who may join (`joining`), export and erasure (`privacy`)."""

from accounts.services.blocks import block_create, block_delete
from accounts.services.joining import invitation_create, invitation_revoke
from accounts.services.passwords import (
    password_change,
    password_reset_ask,
    password_reset_confirm,
    password_reset_request,
    password_set_by_admin,
)
from accounts.services.privacy import (
    ExportArchive,
    data_export_build,
    data_export_fail,
    data_export_request,
    data_exports_purge_expired,
    user_erase,
    user_erase_confirmed,
)
from accounts.services.sessions import (
    describe_device,
    login_session_end,
    login_sessions_end_all,
    session_end,
    session_refresh,
    session_seen,
    session_start,
)
from accounts.services.two_factor import (
    recovery_codes_regenerate,
    totp_enrolment_confirm,
    totp_enrolment_start,
    two_factor_disable,
    two_factor_reset,
    two_factor_verify,
)
from accounts.services.users import (
    API_TOKENS_MAX_PER_USER,
    BOTS_MAX_PER_OWNER,
    api_token_create,
    api_token_revoke,
    api_token_touch,
    bot_create,
    bot_deactivate,
    bot_username_for,
    user_profile_announce,
    user_register,
    user_reinstate,
    user_suspend,
    user_update_profile,
)
from accounts.services.verification import (
    email_change_request,
    email_verification_resend,
    email_verification_send,
    email_verify,
)

__all__ = [
    "ExportArchive",
    "data_export_build",
    "data_export_fail",
    "data_export_request",
    "data_exports_purge_expired",
    "user_erase",
    "user_erase_confirmed",
    "API_TOKENS_MAX_PER_USER",
    "BOTS_MAX_PER_OWNER",
    "api_token_create",
    "api_token_revoke",
    "api_token_touch",
    "block_create",
    "block_delete",
    "bot_create",
    "bot_deactivate",
    "bot_username_for",
    "describe_device",
    "email_change_request",
    "email_verification_resend",
    "email_verification_send",
    "email_verify",
    "invitation_create",
    "invitation_revoke",
    "login_session_end",
    "login_sessions_end_all",
    "password_change",
    "password_reset_ask",
    "password_reset_confirm",
    "password_reset_request",
    "password_set_by_admin",
    "recovery_codes_regenerate",
    "session_end",
    "session_refresh",
    "session_seen",
    "session_start",
    "totp_enrolment_confirm",
    "totp_enrolment_start",
    "two_factor_disable",
    "two_factor_reset",
    "two_factor_verify",
    "user_profile_announce",
    "user_register",
    "user_reinstate",
    "user_suspend",
    "user_update_profile",
]
