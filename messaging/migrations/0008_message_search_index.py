"""The message search index (issue #25): on PostgreSQL a stored tsvector in the SEARCH_CONFIG configuration
with a GIN index, on SQLite an FTS5 table with the porter tokenizer and the triggers that keep it. Both are
built here for the messages that exist (messaging.search.backends)."""

from django.db import migrations

from messaging.search import backends


def index_create(apps, schema_editor):
    backends.index_create(schema_editor.connection)


def index_drop(apps, schema_editor):
    backends.index_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0007_message_previews")]

    operations = [migrations.RunPython(index_create, index_drop)]
