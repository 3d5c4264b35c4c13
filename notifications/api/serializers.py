from rest_framework import serializers

from core.serializers import StrictCharField, StrictURLField
from notifications.models import NotificationLevel, NotificationPreferences, PushSubscription
from notifications.validators import validate_auth, validate_endpoint, validate_p256dh


class PushKeySerializer(serializers.Serializer):
    public_key = serializers.CharField(help_text="The VAPID public key: the applicationServerKey.")


class PushKeysInputSerializer(serializers.Serializer):
    p256dh = StrictCharField(max_length=100, validators=[validate_p256dh])
    auth = StrictCharField(max_length=50, validators=[validate_auth])


class PushSubscriptionInputSerializer(serializers.Serializer):
    """A browser's PushSubscription.toJSON(). It never names a user: it is bound to the caller."""

    endpoint = StrictURLField(max_length=PushSubscription.ENDPOINT_MAX_LENGTH, validators=[validate_endpoint])
    keys = PushKeysInputSerializer()
    device_name = StrictCharField(max_length=64, required=False, allow_blank=True, default="")


class PushSubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "device_name", "created_at", "updated_at"]
        read_only_fields = fields


class NotificationPreferencesSerializer(serializers.ModelSerializer):
    class Meta:
        model = NotificationPreferences
        fields = ["direct", "group", "channel"]
        read_only_fields = fields


class NotificationPreferencesInputSerializer(serializers.Serializer):
    direct = serializers.ChoiceField(choices=NotificationLevel.choices, required=False)
    group = serializers.ChoiceField(choices=NotificationLevel.choices, required=False)
    channel = serializers.ChoiceField(choices=NotificationLevel.choices, required=False)
