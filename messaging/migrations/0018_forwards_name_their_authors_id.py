"""Forwards stored before `forwarded_from.sender_id` was recorded name their original's author by id too, so
that open pages rename them live when that author is erased (docs/protocol.md, user.erased). The author is the
original's sender, or, for a forward of a forward, its own original's author. A forward whose original is gone
stays without one (a reload names it). Reversing changes nothing: the id is harmless to older code."""

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

BATCH = 1000


def forwards_name_their_authors_id(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Message = apps.get_model("messaging", "Message")
    without = (
        Message.objects.filter(forwarded_from__isnull=False)
        .exclude(forwarded_from__has_key="sender_id")
        .order_by("pk")
        .only("pk", "forwarded_from")
    )
    after = None
    while batch := list((without if after is None else without.filter(pk__gt=after))[:BATCH]):
        after = batch[-1].pk
        forwards = [f for f in batch if isinstance(f.forwarded_from, dict)]
        authors = _authors(Message, {str(f.pk): f.forwarded_from.get("message") for f in forwards})
        named = [f for f in forwards if str(f.pk) in authors]
        for forward in named:
            forward.forwarded_from = {**forward.forwarded_from, "sender_id": authors[str(forward.pk)]}
        Message.objects.bulk_update(named, ["forwarded_from"])


def _authors(Message: Any, originals: dict[str, str | None]) -> dict[str, int]:
    """For each forward (by id), the author of the words it forwards: its original's sender, or the author
    an original that is itself a forward names, followed up the chain (one query a link) while it names none."""
    authors: dict[str, int] = {}
    links = {forward: original for forward, original in originals.items() if original}
    seen: set[str] = set()
    while links:
        rows = Message.objects.filter(pk__in=set(links.values())).values_list(
            "pk", "sender_id", "forwarded_from"
        )
        found = {str(pk): (sender_id, forwarded_from) for pk, sender_id, forwarded_from in rows}
        seen.update(links.values())
        following: dict[str, str] = {}
        for forward, original in links.items():
            if original not in found:
                continue  # deleted since (retention, a deleted conversation): nothing to name
            sender_id, origin = found[original]
            if not origin:
                authors[forward] = sender_id
            elif origin.get("sender_id") is not None:
                authors[forward] = origin["sender_id"]
            elif (further := origin.get("message")) and further not in seen:
                following[forward] = further
        links = following
    return authors


class Migration(migrations.Migration):
    dependencies = [("messaging", "0017_retention_at_least_a_day")]

    operations = [migrations.RunPython(forwards_name_their_authors_id, migrations.RunPython.noop)]
