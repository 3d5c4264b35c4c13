from django.contrib import admin

from notifications.models import NotificationPreferences, PushDelivery, PushSubscription


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "device_name", "created_at", "updated_at"]
    raw_id_fields = ["user"]
    exclude = ["p256dh", "auth"]


@admin.register(NotificationPreferences)
class NotificationPreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "direct", "group", "channel", "updated_at"]
    raw_id_fields = ["user"]


@admin.register(PushDelivery)
class PushDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "message_id", "subscription_id", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in PushDelivery._meta.fields]
