from rest_framework import serializers

from core.serializers import StrictCharField, StrictIntegerField


class FileCreateInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=1024, help_text="The original file name, shown to others.")
    size = StrictIntegerField(
        min_value=1,
        help_text="Bytes; at most FILE_UPLOAD_MAX_BYTES.",
        error_messages={"min_value": "This file is empty."},  # not DRF's "Ensure this value is greater…"
    )
    content_type = StrictCharField(
        max_length=255, required=False, allow_blank=True, help_text="Advisory only: the type is sniffed."
    )


class UploadTargetSerializer(serializers.Serializer):
    url = serializers.CharField()
    method = serializers.ChoiceField(choices=["POST", "PUT"])
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.CharField(), required=False, help_text="POST: form fields to send before `file`."
    )
    headers = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="PUT: headers to send with the bytes."
    )


class FileUploadSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    upload = UploadTargetSerializer()


class StoredFileSerializer(serializers.Serializer):
    """Schema of files.events.attachment_payload."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    thumbnail_url = serializers.CharField(allow_null=True)
