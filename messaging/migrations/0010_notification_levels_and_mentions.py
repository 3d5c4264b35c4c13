# Per-conversation notification levels (replacing `muted`), and mentions (issue #25).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def levels_from_muted(apps, schema_editor):
    """A muted membership becomes level "none" (what `muted` now stands for); channels start with only
    owners and admins allowed to write @all and @here."""
    apps.get_model("messaging", "Membership").objects.filter(muted=True).update(notification_level="none")
    apps.get_model("messaging", "Conversation").objects.filter(kind="channel").update(
        all_mention_policy="admins"
    )


def muted_from_levels(apps, schema_editor):
    apps.get_model("messaging", "Membership").objects.filter(notification_level="none").update(muted=True)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0009_threads"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="all_mention_policy",
            field=models.CharField(
                choices=[("anyone", "every member"), ("admins", "owners and admins")],
                default="anyone",
                help_text="Who may use @all and @here (owners and admins set it).",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="notification_level",
            field=models.CharField(
                choices=[
                    ("default", "the user's level for this kind of conversation"),
                    ("all", "All"),
                    ("mentions", "Mentions"),
                    ("none", "None"),
                ],
                default="default",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="mentions",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="message",
            name="mentions_all",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="message",
            name="mentions_here",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(levels_from_muted, muted_from_levels),
        migrations.RemoveField(
            model_name="membership",
            name="muted",
        ),
        migrations.CreateModel(
            name="Mention",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField()),
                (
                    "conversation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="messaging.conversation",
                    ),
                ),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="mention_rows",
                        to="messaging.message",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["user", "conversation", "seq"], name="mentions_unread"),
                    models.Index(fields=["user", "-message"], name="mentions_newest"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("message", "user"), name="one_mention_per_user")
                ],
            },
        ),
    ]
