"""Storing acknowledged messages (the persistence task's work): a batch at a time, exactly once."""

from typing import Any, NamedTuple
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q

from core.db import insert_new_rows
from files.models import StoredFile
from messaging.events import MessagePayload
from messaging.models import Conversation, Message
from messaging.services.mentions import mentions_record
from messaging.services.privacy import late_erasures, late_erasures_honour
from messaging.services.threads import threads_refresh
from messaging.signals import messages_stored


class Stored(NamedTuple):
    new: int  # how many were not stored before
    unstorable: list[MessagePayload]  # those that can never be stored
    errors: dict[str, str]  # {unstorable message id: why, "<error class>: <its first line>"}


def messages_store(*, messages: list[MessagePayload]) -> Stored:
    """Write acknowledged messages; one already stored (same id, or same sender and client_id) is skipped.
    A batch costs the same few statements whatever its size; receivers of `messages_stored` (push
    notifications) hear of the new ones at once."""
    unstorable: list[MessagePayload] = []
    errors: dict[str, str] = {}
    try:
        with transaction.atomic():
            new = _insert(messages)
    except IntegrityError:
        # One bad row (e.g. its conversation was deleted) must not hold back the rest: go one by one.
        new, unstorable, errors = _insert_one_by_one(messages)
    # Every stored reply's thread, not only the new ones': a batch redelivered after its summaries failed
    # (the rows committed, the task retried) recomputes them. Unchanged summaries make no event.
    unstorable_ids = {m["id"] for m in unstorable}
    stored = [m for m in messages if m["id"] not in unstorable_ids]
    threads_refresh(root_ids={root for m in stored if (root := m.get("thread_root"))})
    if new:
        messages_stored.send(sender=Message, messages=new)
    return Stored(len(new), unstorable, errors)


def _insert_one_by_one(
    messages: list[MessagePayload],
) -> tuple[list[MessagePayload], list[MessagePayload], dict[str, str]]:
    new: list[MessagePayload] = []
    unstorable: list[MessagePayload] = []
    errors: dict[str, str] = {}
    for message in messages:
        try:
            with transaction.atomic():
                new += _insert([message])
        except IntegrityError as error:
            unstorable.append(message)
            errors[message["id"]] = describe_error(error)
    return new, unstorable, errors


def describe_error(error: Exception) -> str:
    """The error's class and first line: PostgreSQL's own message, naming the constraint. Its DETAIL line is
    left out, which for a CHECK constraint would hold the whole row, body included: how a persistence
    worker's log lines tell a database error (docs/operations.md, "What is never logged"), never its repr."""
    first_line = str(error).strip().partition("\n")[0]
    return f"{type(error).__name__}: {first_line}"


def _insert(messages: list[MessagePayload]) -> list[MessagePayload]:
    """Store what is new of `messages` and return it. Rows go in (conversation, seq) order, so that two tasks
    inserting the same messages (a redelivered batch) wait for each other instead of deadlocking. A message
    whose author was erased since it was acknowledged is stored as the erasure left theirs (privacy)."""
    if (erasures := late_erasures(messages=messages)) is not None:
        messages = [erasures.as_left(m) for m in messages]
    in_order = sorted(messages, key=lambda m: (m["conversation"], m["seq"]))
    files = _existing_files(messages)
    new_ids = set(insert_new_rows(Message, [_row(m, files) for m in in_order]))
    _refuse_lost([m for m in messages if UUID(m["id"]) not in new_ids])
    new = [m for m in messages if UUID(m["id"]) in new_ids]
    _keep_replies_inside_their_conversation(new)
    _link_attachments(new, files)
    _advance_conversations(new)
    if erasures is not None:
        late_erasures_honour(erasures=erasures, stored=new)
    mentions_record(messages=new)
    return new


def _refuse_lost(skipped: list[MessagePayload]) -> None:
    """A message skipped by the insert is fine if it was already stored under its id or its client_id;
    otherwise another message holds its seq, and it must not vanish silently: it is raised, to be
    dead-lettered."""
    if not skipped:
        return
    stored = Message.objects.filter(
        Q(pk__in=[m["id"] for m in skipped])
        | Q(
            sender_id__in={m["sender"]["id"] for m in skipped},
            client_id__in={m["client_id"] for m in skipped},
        )
    ).values_list("pk", "sender_id", "client_id")
    ids, client_ids = set(), set()
    for pk, sender_id, client_id in stored:
        ids.add(pk)
        client_ids.add((sender_id, client_id))
    if any(
        UUID(m["id"]) not in ids and (m["sender"]["id"], UUID(m["client_id"])) not in client_ids
        for m in skipped
    ):
        raise IntegrityError("a message's seq is held by another message")


def _row(message: MessagePayload, files: set[str]) -> dict[str, Any]:
    """The message's columns, the rest left to their defaults (no replies, previews or thread yet); the names
    of the files it is stored with (`files`: those that exist) for the search index."""
    return {
        "id": message["id"],
        "conversation_id": message["conversation"],
        "sender_id": message["sender"]["id"],
        "seq": message["seq"],
        "body": message["body"],
        "client_id": message["client_id"],
        "reply_to_id": message["reply_to"],
        # .get: tasks queued before forwards, threads and mentions existed have none of them
        "forwarded_from": message.get("forwarded_from"),
        "thread_root_id": message.get("thread_root"),
        "created_at": message["created_at"],
        "mentions": message.get("mentions") or [],
        "mentions_here": bool(message.get("mentions_here")),
        "mentions_all": bool(message.get("mentions_all")),
        "attachment_names": "\n".join(a["name"] for a in message["attachments"] if a["id"] in files),
    }


def _keep_replies_inside_their_conversation(messages: list[MessagePayload]) -> None:
    """A reply_to naming a message of another conversation is dropped (a parent still in flight is kept)."""
    replies = [m["id"] for m in messages if m["reply_to"]]
    if replies:
        Message.objects.filter(pk__in=replies, reply_to__conversation__isnull=False).exclude(
            reply_to__conversation=F("conversation")
        ).update(reply_to=None)


def _existing_files(messages: list[MessagePayload]) -> set[str]:
    """Of the files these messages carry, those that still exist (ids as in payloads), in one query for the
    batch, none without files: one its owner discarded between the acknowledgement and now, or that went
    with the last message carrying it (a forward's original, deleted meanwhile), is left out, not the message
    with it (a missing file would fail the message's insert)."""
    wanted = {a["id"] for m in messages for a in m["attachments"]}
    if not wanted:
        return set()
    return {str(pk) for pk in StoredFile.objects.filter(pk__in=wanted).values_list("pk", flat=True)}


def _link_attachments(messages: list[MessagePayload], files: set[str]) -> None:
    """Link each message to its files that still exist (`files`, _existing_files)."""
    through = Message.attachments.through
    links = [
        through(message_id=m["id"], storedfile_id=a["id"])
        for m in messages
        for a in m["attachments"]
        if a["id"] in files
    ]
    if links:
        through.objects.bulk_create(links, ignore_conflicts=True)


# Written in SQL: the ORM's CPU building this statement (a CASE per conversation, or subqueries) was up to
# half a persistence task's (docs/benchmarks.md). Portable (PostgreSQL and SQLite): a conversation moves only
# when a newer seq was stored, to that message's seq and time. Where the database has row locks, the rows
# are locked in id order first: two tasks updating the same conversations in scan order could deadlock
# (PostgreSQL's log showed one or two per benchmark run), and each deadlock cost its batch a second or more.
ADVANCE_CONVERSATIONS_SQL = """
UPDATE {conversation} SET
    last_seq = (SELECT MAX(m.seq) FROM {message} m WHERE m.conversation_id = {conversation}.id),
    last_activity_at = (
        SELECT m.created_at FROM {message} m WHERE m.conversation_id = {conversation}.id
        ORDER BY m.seq DESC LIMIT 1
    )
WHERE id IN (SELECT c.id FROM {conversation} c WHERE c.id IN ({ids}) ORDER BY c.id{lock})
    AND last_seq < (SELECT MAX(m.seq) FROM {message} m WHERE m.conversation_id = {conversation}.id)
"""


def _advance_conversations(messages: list[MessagePayload]) -> None:
    """Move each conversation's last_seq and last_activity_at forward (never back) to its newest stored
    message, in one statement whose size grows only by one id per conversation."""
    conversation_ids = list({m["conversation"] for m in messages})
    if not conversation_ids:
        return
    sql = ADVANCE_CONVERSATIONS_SQL.format(
        conversation=Conversation._meta.db_table,
        message=Message._meta.db_table,
        ids=", ".join(["%s"] * len(conversation_ids)),
        lock=" FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, conversation_ids)
