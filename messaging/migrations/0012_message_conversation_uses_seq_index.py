# The (conversation, seq) unique constraint's index serves every lookup by conversation; the foreign key's own
# index only let PostgreSQL pick it for unread counts and read whole conversations (docs/benchmarks.md).
# Only the index goes: AlterField alone would also drop and re-create the foreign key constraint, which
# checks every message again under a lock.

import django.db.models.deletion
from django.db import migrations, models

INDEX = "messaging_message_conversation_id_3db4d3d1"  # the name Django gave it (the same on every backend)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0011_conversation_seq_counter"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="conversation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="messaging.conversation",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "messaging_message" ("conversation_id")',
                ),
            ],
        ),
    ]
