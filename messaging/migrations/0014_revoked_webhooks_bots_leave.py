"""Bots of webhooks revoked before revoking took them out of their conversation leave it now, as they would
today (messaging.services.webhooks.webhook_revoke). Their messages stay; members' clients see the member list
as it is on their next read of the conversation."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def retired_bots_leave(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Membership = apps.get_model("messaging", "Membership")
    Webhook = apps.get_model("messaging", "Webhook")
    revoked = Webhook.objects.filter(revoked_at__isnull=False)
    for conversation_id, bot_id in revoked.values_list("conversation_id", "bot_id"):
        Membership.objects.filter(conversation_id=conversation_id, user_id=bot_id).delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0013_message_indexes_each_insert_needs")]

    operations = [migrations.RunPython(retired_bots_leave, migrations.RunPython.noop)]
