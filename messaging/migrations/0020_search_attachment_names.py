"""Message search finds a message by its files' names too (docs/search.md): the names, one a line, in a new
column `attachment_names`, filled here for the messages that exist (deleted ones match nothing and keep it
empty), and the index rebuilt over the words and the names (messaging.search.backends). On PostgreSQL this
rewrites the messages table, as 0008 did: run it when the database is quiet."""

from typing import Any

from django.db import migrations, models

from messaging.search import backends

NAMES_OF_MESSAGE = {
    "postgresql": "string_agg(f.name, chr(10))",
    "sqlite": "group_concat(f.name, char(10))",
}


def names_fill_and_index(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    backends.index_drop(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE messaging_message SET attachment_names = (
                SELECT {NAMES_OF_MESSAGE[connection.vendor]} FROM messaging_message_attachments a
                JOIN files_storedfile f ON f.id = a.storedfile_id WHERE a.message_id = messaging_message.id
            ) WHERE deleted_at IS NULL AND EXISTS (
                SELECT 1 FROM messaging_message_attachments a WHERE a.message_id = messaging_message.id
            )"""  # noqa: S608 (the aggregate is this module's constant)
        )
    backends.index_create(connection)


def index_of_words_only(apps: Any, schema_editor: Any) -> None:
    """Back to 0008's index. On SQLite the index is dropped only: the code of the version migrated back to
    builds its own after the migration (post_migrate)."""
    connection = schema_editor.connection
    backends.index_drop(connection)
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE messaging_message ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            f"(to_tsvector('{backends.search_config()}'::regconfig, body)) STORED"
        )
        cursor.execute("CREATE INDEX messaging_message_search ON messaging_message USING gin (search_vector)")
        cursor.execute("ALTER TABLE messaging_message ALTER COLUMN search_vector SET STATISTICS 1000")


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0001_initial"),
        ("messaging", "0019_retention_keeps_reported_messages"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="attachment_names",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(names_fill_and_index, index_of_words_only),
    ]
