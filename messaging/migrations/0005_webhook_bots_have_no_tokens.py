"""Webhooks' bots made before accounts.User.is_webhook_bot existed: mark them, and revoke any API token that was
minted for one (issue #21: a member removed from a conversation kept reading it through such a token)."""

from django.db import migrations
from django.utils import timezone


def mark_webhook_bots(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    ApiToken = apps.get_model("accounts", "ApiToken")
    Webhook = apps.get_model("messaging", "Webhook")
    bot_ids = Webhook.objects.values_list("bot_id", flat=True)
    User.objects.filter(pk__in=bot_ids).update(is_webhook_bot=True)
    ApiToken.objects.filter(user_id__in=bot_ids, revoked_at__isnull=True).update(revoked_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_webhook_bots"),
        ("messaging", "0004_retention"),
    ]

    operations = [migrations.RunPython(mark_webhook_bots, migrations.RunPython.noop)]
