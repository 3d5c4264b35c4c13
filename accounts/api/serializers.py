from typing import Any

from django.urls import reverse
from rest_framework import serializers

from accounts import selectors
from accounts.models import DataExport, LoginSession, User
from core.ids import id_field
from core.serializers import StrictCharField, StrictEmailField, StrictIntegerField, StrictRegexField

PASSWORD_MAX_LENGTH = 128


def password_field(**kwargs: object) -> serializers.CharField:
    return StrictCharField(
        write_only=True,
        max_length=PASSWORD_MAX_LENGTH,
        trim_whitespace=False,
        style={"input_type": "password"},
        **kwargs,  # type: ignore[arg-type]
    )


USERNAME_CHARACTERS = "Use only letters, digits and the characters @ . + - _ (no spaces)."
USERS_BY_ID_MAX = 20  # the users list's page size: one request names them all


class RegisterInputSerializer(serializers.Serializer):
    username = StrictRegexField(
        r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={"invalid": USERNAME_CHARACTERS},
    )
    email = StrictEmailField()
    password = StrictCharField(write_only=True, max_length=128, style={"input_type": "password"})
    invitation = StrictCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="The `invite` of an invitation link (`iv_…`): required when sign-up is by invitation only.",
    )


# A user's username as an answer shows it: the model's help text is a form's ("Required. 150 characters or
# fewer. …"), which read on a response as if the client had to send it.
USERNAME_HELP = "Unique: 150 characters or fewer, letters, digits and @/./+/-/_."
USERNAME_SHOWN = {"username": {"help_text": USERNAME_HELP}}


class PublicUserSerializer(serializers.ModelSerializer):
    """What anyone may see of a user: never the email, never the password hash."""

    avatar_url = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "avatar_url"]
        extra_kwargs = USERNAME_SHOWN

    def get_avatar_url(self, user: User) -> str | None:
        return selectors.avatar_url(user)


class RegisteredUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name"]
        extra_kwargs = USERNAME_SHOWN


class MeSerializer(serializers.ModelSerializer):
    email_verified = serializers.BooleanField(read_only=True)
    may_post = serializers.SerializerMethodField(
        help_text="False while the workspace requires a verified email address and yours is not."
    )
    two_factor_enabled = serializers.SerializerMethodField()
    two_factor_required = serializers.SerializerMethodField(
        help_text="Staff must turn two-factor authentication on before using anything else."
    )
    avatar_url = serializers.SerializerMethodField(
        help_text="Your profile picture (GET it signed in), or null: initials are shown."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "avatar_url",
            "email",
            "date_joined",
            "email_verified",
            "may_post",
            "two_factor_enabled",
            "two_factor_required",
        ]
        read_only_fields = fields
        extra_kwargs = USERNAME_SHOWN

    def get_avatar_url(self, user: User) -> str | None:
        return selectors.avatar_url(user)

    def get_may_post(self, user: User) -> bool:
        return selectors.user_may_post(user)

    def get_two_factor_enabled(self, user: User) -> bool:
        return selectors.two_factor_device(user=user) is not None

    def get_two_factor_required(self, user: User) -> bool:
        return selectors.staff_must_set_up_two_factor(user)


class AvatarInputSerializer(serializers.Serializer):
    avatar = serializers.FileField(
        allow_empty_file=False,
        help_text="The picture: a PNG, JPEG, WebP or GIF of at most 5 MiB (multipart/form-data).",
    )


# What PATCH /users/me/ does not change, and where it is changed instead.
CHANGED_ELSEWHERE = {
    "email": "Change it with POST /api/v1/users/me/email/: the new address is confirmed by mail first.",
    "password": "Change it with POST /api/v1/auth/password/change/.",
    "username": "A username cannot be changed.",
}


class MeUpdateInputSerializer(serializers.Serializer):
    display_name = StrictCharField(max_length=64, allow_blank=True)

    def to_internal_value(self, data: Any) -> Any:
        """A field this does not change is named, rather than ignored or answered with `display_name`'s
        absence."""
        if isinstance(data, dict):
            others = {
                key: [CHANGED_ELSEWHERE.get(key, "Unknown field: only display_name is changed here.")]
                for key in data
                if key not in self.fields
            }
            if others:
                raise serializers.ValidationError(others)
        return super().to_internal_value(data)


class UserSearchInputSerializer(serializers.Serializer):
    search = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    ids = serializers.ListField(
        child=id_field(),
        required=False,
        max_length=USERS_BY_ID_MAX,
        help_text=f"Only these users (`?ids=3&ids=7`, at most {USERS_BY_ID_MAX}: one page), e.g. to name "
        "the people who reacted to a message.",
    )


class TokenObtainInputSerializer(serializers.Serializer):
    username = StrictCharField()
    password = StrictCharField(style={"input_type": "password"})
    otp = StrictCharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="With two-factor authentication on: the app's 6-digit code, or a recovery code.",
    )
    use_cookie = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Put the refresh token in an HttpOnly cookie instead of the body.",
    )


class TokenRefreshInputSerializer(serializers.Serializer):
    refresh = StrictCharField(required=False, help_text="Omit to use the refresh cookie.")


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField(required=False, help_text="Absent when it was set as a cookie.")


# --- API tokens and bots


class ApiTokenCreateInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=64, help_text="What the token is for, e.g. `ci-deploy`.")


class ApiTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    user = serializers.IntegerField(source="user_id", help_text="The user (or bot) the token acts as.")
    prefix = serializers.SerializerMethodField(help_text="The token's public start, to recognise it.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)

    def get_prefix(self, token: object) -> str:
        return f"pk_{getattr(token, 'pk', '')}_"


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(
        help_text="The token itself: shown only now. Send it as `Authorization: Bearer <token>`."
    )


class BotCreateInputSerializer(serializers.Serializer):
    username = StrictRegexField(
        r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={"invalid": USERNAME_CHARACTERS},
    )
    display_name = StrictCharField(max_length=64, required=False, allow_blank=True, default="")


class BotSerializer(serializers.ModelSerializer):
    owner = serializers.IntegerField(source="bot_owner_id", read_only=True, help_text="Your user id.")
    suspended = serializers.BooleanField(
        source="is_suspended",
        read_only=True,
        help_text="A moderator suspended it: it works again only once they reinstate it; meanwhile it gets "
        "no tokens, and its owner may still retire it.",
    )

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "owner", "date_joined", "suspended"]
        read_only_fields = fields
        extra_kwargs = USERNAME_SHOWN


# --- passwords and sessions


class PasswordChangeInputSerializer(serializers.Serializer):
    current_password = password_field()
    new_password = password_field()


class PasswordResetInputSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)


class PasswordResetConfirmInputSerializer(serializers.Serializer):
    uid = StrictCharField(max_length=64, help_text="From the reset link.")
    token = StrictCharField(max_length=128, help_text="From the reset link.")
    new_password = password_field()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class LoginSessionSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text="The session this request was made with.")

    class Meta:
        model = LoginSession
        fields = ["id", "device", "ip_address", "created_at", "last_seen_at", "current"]
        read_only_fields = fields

    def get_current(self, session: LoginSession) -> bool:
        return session.pk == self.context.get("current_session")


# --- two-factor authentication


class TwoFactorStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    recovery_codes_left = serializers.IntegerField()
    must_enable = serializers.BooleanField(
        help_text="The workspace requires it of you (staff) and it is off."
    )


class TotpEnrolmentSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The key, in base32, for typing into an app by hand.")
    otpauth_url = serializers.CharField(help_text="The otpauth:// URL the QR code holds.")
    qr_code = serializers.CharField(help_text="The QR code as an SVG data: URL, for an <img>.")


class TwoFactorCodeInputSerializer(serializers.Serializer):
    code = StrictCharField(max_length=32, help_text="A 6-digit code from the app (or a recovery code).")


class TwoFactorDisableInputSerializer(TwoFactorCodeInputSerializer):
    password = password_field()


class RecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(), help_text="Shown only now: each works once, instead of a code."
    )


# --- email addresses


class EmailChangeInputSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = password_field()


class EmailVerifyInputSerializer(serializers.Serializer):
    token = StrictCharField(max_length=512, help_text="From the verification link (after `#`).")


# --- blocks


class BlockInputSerializer(serializers.Serializer):
    user = StrictIntegerField(help_text="The id of the person to block.")


class BlockSerializer(serializers.Serializer):
    user = PublicUserSerializer(source="blocked")
    created_at = serializers.DateTimeField()


# --- joining


class SignUpPolicySerializer(serializers.Serializer):
    sign_up = serializers.ChoiceField(
        choices=["open", "invite"], help_text="`invite`: an invitation is needed."
    )
    allowed_email_domains = serializers.ListField(
        child=serializers.CharField(), help_text="Addresses must be at one of these; empty: any."
    )


class InvitationCreateInputSerializer(serializers.Serializer):
    max_uses = StrictIntegerField(default=1, help_text="How many people may join with it (1-100).")
    days = StrictIntegerField(default=7, help_text="Days until it expires (1-30).")


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    max_uses = serializers.IntegerField()
    uses = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class InvitationCreatedSerializer(InvitationSerializer):
    link = serializers.CharField(help_text="The invitation link: shown only now.")


# --- export and erasure


class DataExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["pending", "running", "ready", "failed"])
    progress = serializers.IntegerField(help_text="Percent done.")
    size = serializers.IntegerField(allow_null=True, help_text="Bytes, once ready.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When the ZIP is deleted.")
    download_url = serializers.SerializerMethodField(
        help_text="Once ready: where to POST `download_token` (as `token`, a form field or JSON) for the ZIP."
    )
    download_token = serializers.SerializerMethodField(
        help_text="Once ready: the private token that downloads the ZIP, for an hour (list again for a fresh "
        "one). It goes in a POST body, never in a URL, where browser history and logs would keep it."
    )

    def _ready(self, export: DataExport) -> bool:
        return export.status == DataExport.Status.READY and bool(export.file_key)

    def get_download_url(self, export: DataExport) -> str | None:
        return reverse("users-me-export-download") if self._ready(export) else None

    def get_download_token(self, export: DataExport) -> str | None:
        return selectors.data_export_link_token(export) if self._ready(export) else None


class DataExportDownloadInputSerializer(serializers.Serializer):
    token = StrictCharField(max_length=200, help_text="A `download_token` from GET /users/me/export/.")


class AccountDeleteInputSerializer(serializers.Serializer):
    password = password_field()
    code = StrictCharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="With two-factor authentication on.",
    )
