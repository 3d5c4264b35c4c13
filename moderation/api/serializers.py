from rest_framework import serializers

from core.serializers import StrictCharField
from moderation.models import Report


class ReportInputSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=Report.REASON_MAX_LENGTH, help_text="What is wrong with it.")


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    message = serializers.UUIDField(source="message_id")
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=Report.Status.choices)
    created_at = serializers.DateTimeField()
