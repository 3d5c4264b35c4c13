"""Usernames are unique by how they look (accounts.usernames.lookalike_key), not only as typed. Accounts that
already look alike keep their names and their logins: the oldest of each look keeps the key, the others get
`<key>#<id>`, which no name can have, so nobody new can take any of those looks (docs/api.md)."""

from django.db import migrations, models

import accounts.models


def fill_keys(apps, schema_editor):
    from accounts.usernames import lookalike_key

    User = apps.get_model("accounts", "User")
    taken: set[str] = set()
    for user in User.objects.order_by("pk").only("pk", "username"):
        key = lookalike_key(user.username)
        user.username_key = key if key not in taken else f"{key}#{user.pk}"
        taken.add(key)
        user.save(update_fields=["username_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_webhook_bots"),
    ]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[("objects", accounts.models.LookalikeAwareUserManager())],
        ),
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=600, null=True),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=600, unique=True),
        ),
    ]
