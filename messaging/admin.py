from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from solo.admin import SingletonModelAdmin

from core.admin_actions import WEBHOOKS_OF, RevokedNotDeletedAdmin
from messaging.models import Conversation, Membership, Message, RetentionPolicy, Webhook


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)
    readonly_fields = ("joined_at", "last_read_seq")


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "title", "is_public", "created_at", "last_activity_at")
    list_filter = ("kind", "is_public")
    search_fields = ("title",)
    readonly_fields = ("kind", "direct_key", "created_by", "created_at", "last_activity_at", "last_seq")
    inlines = [MembershipInline]


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(SingletonModelAdmin):
    pass


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "seq", "sender", "created_at", "edited_at", "deleted_at")
    list_filter = ("created_at", ("deleted_at", admin.EmptyFieldListFilter), "conversation__kind")
    search_fields = ("body", "sender__username", "conversation__title")
    list_select_related = ("sender", "conversation")
    raw_id_fields = ("conversation",)
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """Every field a message has, however many it gains: messages change only through the product's
        services (a sender's edit, a moderator's removal); the admin shows them as they are."""
        return [field.name for field in (*self.opts.fields, *self.opts.many_to_many)]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(Webhook)
class WebhookAdmin(RevokedNotDeletedAdmin):
    """Webhooks are revoked here (their bot retired and out of the conversation) by whoever has the change
    permission, never deleted: a deleted row would skip the revocation and leave its bot a member."""

    list_display = ("id", "name", "conversation", "bot", "created_by", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "conversation__title", "created_by__username")
    readonly_fields = ("conversation", "bot", "name", "created_by", "created_at", "rotated_at", "revoked_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by members through the API, which shows the secret once

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        """One person's webhooks (the link an admin's reset of their password shows), and the filters."""
        return lookup == WEBHOOKS_OF or super().lookup_allowed(lookup, value, request)
