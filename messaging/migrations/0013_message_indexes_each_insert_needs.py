# Every stored message writes every index of its table, and three of them served no query: sender's (the
# (sender, client_id) unique constraint's index serves every lookup by sender), reply_to's (nothing looks
# messages up by what they reply to) and thread_root's (lookups by root use the partial thread_replies, which
# leaves out the main timeline's messages, nearly all of them). Only the indexes go: AlterField would also
# drop and re-create sender's foreign key constraint, which checks every message again under a lock.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The names Django gave them (the same on every backend), and their columns.
INDEXES = {
    "messaging_message_sender_id_7a7088e6": "sender_id",
    "messaging_message_reply_to_id_f28e3285": "reply_to_id",
    "messaging_message_thread_root_id_5efe854c": "thread_root_id",
}


def unindexed_self_reference() -> models.ForeignKey:  # type: ignore[type-arg]
    return models.ForeignKey(
        blank=True,
        db_constraint=False,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.DO_NOTHING,
        related_name="+",
        to="messaging.message",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0012_message_conversation_uses_seq_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="sender",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="messages",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="message", name="reply_to", field=unindexed_self_reference()
                ),
                migrations.AlterField(
                    model_name="message", name="thread_root", field=unindexed_self_reference()
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "messaging_message" ("{column}")',
                )
                for name, column in INDEXES.items()
            ],
        ),
    ]
