"""Who a stored message mentions (Mention rows): written by the persistence task, off the send path, and again
when a message is edited. The send path only resolved the body (messaging.selectors.mentions_resolve)."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from messaging.models import Membership, Mention
from realtime.presence import looking_user_ids


def mentions_record(*, messages: Sequence[Mapping[str, Any]]) -> None:
    """A Mention per member each message mentions: those it named (still members), every member for @all,
    and for @here the members present (some socket of theirs looking: realtime.presence) now, a moment
    after the send. Never the sender. One query and at most one Redis round trip for the batch; nothing for
    a batch without mentions."""
    mentioning = [m for m in messages if m.get("mentions") or m.get("mentions_here") or m.get("mentions_all")]
    if not mentioning:
        return
    members: dict[int, set[int]] = defaultdict(set)
    rows = Membership.objects.filter(conversation_id__in={m["conversation"] for m in mentioning})
    for conversation_id, user_id in rows.values_list("conversation_id", "user_id"):
        members[conversation_id].add(user_id)
    here = [m for m in mentioning if m.get("mentions_here") and not m.get("mentions_all")]
    present = looking_user_ids(set().union(*(members[m["conversation"]] for m in here))) if here else set()
    mentions = []
    for message in mentioning:
        everyone = members[message["conversation"]]
        if message.get("mentions_all"):
            mentioned = set(everyone)
        else:
            mentioned = everyone & (
                set(message.get("mentions") or []) | (present if message["mentions_here"] else set())
            )
        mentioned.discard(message["sender"]["id"])
        mentions += [
            Mention(
                message_id=UUID(str(message["id"])),
                user_id=user_id,
                conversation_id=message["conversation"],
                seq=message["seq"],
            )
            for user_id in sorted(mentioned)
        ]
    Mention.objects.bulk_create(mentions, ignore_conflicts=True)
