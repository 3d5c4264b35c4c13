from typing import Any

from rest_framework import serializers
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token

from accounts import tokens
from accounts.models import User

USERS_BY_ID_MAX = 20  # the users list's page size: one request names them all


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})


class SessionTokenObtainPairSerializer(TokenObtainPairSerializer):
    """simplejwt's login, its refresh token naming a new session, which its rotations and every access token
    minted from it carry on (accounts.tokens.SESSION_CLAIM)."""

    @classmethod
    def get_token(cls, user: Any) -> Token:
        refresh = super().get_token(user)
        refresh[tokens.SESSION_CLAIM] = refresh[jwt_settings.JTI_CLAIM]
        return refresh


class PublicUserSerializer(serializers.ModelSerializer):
    """What anyone may see of a user: never the email, never the password hash."""

    avatar_url = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "avatar_url"]

    def get_avatar_url(self, user: User) -> str | None:
        return user.avatar.url if user.avatar else None


class RegisteredUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name"]


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "date_joined"]
        read_only_fields = fields


class MeUpdateInputSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=64, allow_blank=True)


class UserSearchInputSerializer(serializers.Serializer):
    search = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=USERS_BY_ID_MAX,
        help_text=f"Only these users (`?ids=3&ids=7`, at most {USERS_BY_ID_MAX}: one page), e.g. to name "
        "the people who reacted to a message.",
    )


class TokenObtainInputSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})
    use_cookie = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Put the refresh token in an HttpOnly cookie instead of the body.",
    )


class TokenRefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(required=False, help_text="Omit to use the refresh cookie.")


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField(required=False, help_text="Absent when it was set as a cookie.")


# --- API tokens and bots


class ApiTokenCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, help_text="What the token is for, e.g. `ci-deploy`.")


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
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    display_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class BotSerializer(serializers.ModelSerializer):
    owner = serializers.IntegerField(source="bot_owner_id")

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "owner", "date_joined"]
        read_only_fields = fields
