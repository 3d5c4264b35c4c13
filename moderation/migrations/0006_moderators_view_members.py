"""The Moderators group may view conversations' members too (moderation.groups.MODERATOR_PERMISSIONS): added
to the group, whatever else a superuser gave it."""

from django.db import migrations

from moderation.groups import moderators_group_grant

MEMBERS = {("messaging", "membership"): ["view_membership"]}


def grant(apps, schema_editor):
    moderators_group_grant(apps, MEMBERS)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0005_audit_access_revoked"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
