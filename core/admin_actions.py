"""What an admin action says it did, and who may revoke rather than delete, the same in every app's admin."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.http import HttpRequest

# The webhooks list's filter for the webhooks one person made (their webhooks' bots are theirs): the link an
# admin's password reset shows (accounts.admin), which the webhooks' admin admits (messaging.admin).
WEBHOOKS_OF = "bot__bot_owner__id__exact"


def say_what_was_done(request: HttpRequest, counts: dict[str, int]) -> None:
    """Counts as one line, those that are 0 left out: "Revoked: 2; revoked already: 1." (nothing when every
    count is 0: the action's errors, if any, said why). The line starts with a capital whichever count comes
    first ("Revoked already: 1.", "Not suspended: 1.")."""
    summary = "; ".join(f"{what}: {count}" for what, count in counts.items() if count)
    if summary:
        messages.success(request, summary[0].upper() + summary[1:] + ".")


def may_revoke(model_admin: admin.ModelAdmin, request: HttpRequest) -> bool:
    """Who may revoke an invitation, an API token or a webhook, or sign a session out: who has the model's
    change permission. Revoking is a change (it sets `revoked_at` or `ended_at`), the only one these rows
    allow, so the change permission is the revoke permission; it was the delete permission, which a moderator
    given change did not have, and they were offered no action at all."""
    opts = model_admin.opts
    return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")


class RevokedNotDeletedAdmin(admin.ModelAdmin):
    """Rows whose deletion would skip their revocation (a deleted login session's access tokens and sockets
    would go on working, as would a deleted API token's sockets, and a deleted webhook's bot would stay a
    member): they are signed out or revoked, never
    deleted here, by whoever has the change permission (may_revoke)."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return may_revoke(self, request)
