"""The `Moderators` group with exactly the permissions moderation needs (moderation.groups)."""

from django.db import migrations

from moderation.groups import MODERATORS_GROUP, sync_moderators_group


def create_group(apps, schema_editor):
    sync_moderators_group(apps)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=MODERATORS_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0002_bots_api_tokens_suspension"),
        ("messaging", "0002_message_revisions_webhooks"),
        ("moderation", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
