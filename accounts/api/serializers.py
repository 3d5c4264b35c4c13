from rest_framework import serializers

from accounts.models import User


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})


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
