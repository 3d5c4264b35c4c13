"""No two public channels share a name, whatever its case. Public channels that already do are told apart
first, so that the constraint can be made: the oldest (lowest id) keeps its name, each later one gets the
first free " (2)", " (3)", … after it (its name cut to fit 100 characters). Their members see the new name
on their next load (a data migration tells no socket); owners may rename them again. Private groups and
channels are not touched."""

from django.db import migrations, models
from django.db.models.functions import Lower

TITLE_MAX = 100


def _free_title(title: str, taken: set[str]) -> str:
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = title[: TITLE_MAX - len(suffix)].rstrip() + suffix
        if candidate.lower() not in taken:
            return candidate
        number += 1


def tell_duplicates_apart(apps, schema_editor):
    Conversation = apps.get_model("messaging", "Conversation")
    public = Conversation.objects.filter(kind="channel", is_public=True).order_by("pk")
    taken = {title.lower() for title in public.values_list("title", flat=True)}
    seen: set[str] = set()
    for channel in public.only("pk", "title").iterator():
        key = channel.title.lower()
        if key not in seen:
            seen.add(key)
            continue
        channel.title = _free_title(channel.title, taken)
        taken.add(channel.title.lower())
        seen.add(channel.title.lower())
        channel.save(update_fields=["title"])


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0020_search_attachment_names"),
    ]

    operations = [
        migrations.RunPython(tell_duplicates_apart, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="conversation",
            constraint=models.UniqueConstraint(
                Lower("title"),
                condition=models.Q(("is_public", True), ("kind", "channel")),
                name="public_channel_title_unique",
            ),
        ),
    ]
