"""Writes of threads (docs/protocol.md, "Threads"): a root's summary, recomputed from its replies when replies
are stored or deleted and announced as a `thread.updated` event; following a thread; a thread's read marker.

A reply is an ordinary message with a `thread_root`, sent and stored on the one send path; this module runs
after its batch is stored (the persistence task), never on the socket's hot path."""

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q

from accounts.models import User
from messaging import events, selectors
from messaging.delivery.eventlog import newest_seq
from messaging.models import ConversationEvent, Message, ThreadFollow
from messaging.services.eventlog import event_record
from realtime import fanout

Kind = ConversationEvent.Kind

# How many of a thread's participants its summary names (the main timeline shows their avatars).
THREAD_PARTICIPANTS_SHOWN = 10


def threads_refresh(*, root_ids: Collection[UUID | str]) -> None:
    """Recompute the summaries of these roots from their stored replies, make every replier (and the root's
    sender) follow the thread unless they unfollowed it, and record a `thread.updated` event for each root
    whose summary changed. The roots are locked first (in id order), so two batches of replies to one thread
    are counted one after the other and the newer event always shows both. A root not stored yet (its
    reply overtook it) is skipped: its next reply counts everything. A constant number of queries per batch,
    plus one event per root."""
    if not root_ids:
        return
    with transaction.atomic():
        roots = list(
            Message.objects.select_for_update()
            .select_related("conversation")
            .filter(pk__in=root_ids, thread_root__isnull=True)
            .order_by("pk")
        )
        if not roots:
            return
        summaries = _summaries([root.pk for root in roots])
        changed = [root for root in roots if _apply(root, summaries.get(root.pk))]
        Message.objects.bulk_update(
            changed, ["reply_count", "last_reply_at", "last_reply_seq", "thread_participants"]
        )
        _auto_follow(roots, summaries)
        for root in changed:
            event_record(conversation=root.conversation, kind=Kind.THREAD_UPDATED, message=root)


class _Summary:
    def __init__(self) -> None:
        self.count = 0
        self.last_seq = 0
        self.last_at: datetime | None = None
        self.latest_by_user: dict[int, int] = {}  # replier -> seq of their latest reply

    @property
    def participants(self) -> list[int]:
        latest_first = sorted(self.latest_by_user, key=self.latest_by_user.__getitem__, reverse=True)
        return latest_first[:THREAD_PARTICIPANTS_SHOWN]


def _summaries(root_ids: list[UUID]) -> dict[UUID, _Summary]:
    """Each root's replies that are not deleted, counted per replier, in one query."""
    rows = (
        Message.objects.filter(thread_root_id__in=root_ids, deleted_at__isnull=True)
        .order_by()
        .values_list("thread_root_id", "sender_id")
        .annotate(n=Count("pk"), last_seq=Max("seq"), last_at=Max("created_at"))
    )
    summaries: dict[UUID, _Summary] = defaultdict(_Summary)
    for root_id, sender_id, count, last_seq, last_at in rows:
        summary = summaries[root_id]
        summary.count += count
        summary.latest_by_user[sender_id] = last_seq
        if last_seq > summary.last_seq:
            summary.last_seq, summary.last_at = last_seq, last_at
    return summaries


def _apply(root: Message, summary: _Summary | None) -> bool:
    """Set the root's summary fields; whether anything changed."""
    summary = summary or _Summary()
    before = (root.reply_count, root.last_reply_at, root.last_reply_seq, root.thread_participants)
    root.reply_count = summary.count
    root.last_reply_at = summary.last_at
    root.last_reply_seq = summary.last_seq
    root.thread_participants = summary.participants
    return before != (root.reply_count, root.last_reply_at, root.last_reply_seq, root.thread_participants)


def _auto_follow(roots: list[Message], summaries: dict[UUID, _Summary]) -> None:
    """Participants follow their threads, unless they unfollowed them (two queries)."""
    pairs = [
        (user_id, root.pk)
        for root in roots
        if root.pk in summaries
        for user_id in {root.sender_id, *summaries[root.pk].latest_by_user}
    ]
    if not pairs:
        return
    follows = [ThreadFollow(user_id=user_id, root_id=root_id, following=True) for user_id, root_id in pairs]
    ThreadFollow.objects.bulk_create(follows, ignore_conflicts=True)
    undecided = Q()
    for user_id, root_id in pairs:
        undecided |= Q(user_id=user_id, root_id=root_id)
    ThreadFollow.objects.filter(undecided, following__isnull=True).update(following=True)


@transaction.atomic
def thread_follow_set(*, user: User, root_id: UUID, following: bool) -> ThreadFollow:
    """Follow or unfollow a thread the user can see (any message of the main timeline can be followed before
    anyone replies). A change is sent to the user's own sockets (`thread_follow.updated`)."""
    root = selectors.thread_root_get_for_user(user=user, root_id=root_id)
    follow, created = ThreadFollow.objects.select_for_update().get_or_create(
        user=user, root=root, defaults={"following": following}
    )
    if follow.following == following and not created:
        return follow
    if not created:
        follow.following = following
        follow.save(update_fields=["following"])
    # The user's other devices show it followed or not at once (the list of threads, the thread's button);
    # nobody else hears of it.
    frame = events.thread_follow_updated(follow, conversation_id=root.conversation_id)
    fanout.after_commit(fanout.to_user, user.pk, frame)
    return follow


@transaction.atomic
def thread_read_mark(*, user: User, root_id: UUID, seq: int) -> ThreadFollow:
    """Mark a thread read up to `seq` (a seq of its conversation: a reply's, maybe not stored yet); never
    moves back. Reading a thread one has not decided to follow keeps its marker without following it."""
    root = selectors.thread_root_get_for_user(user=user, root_id=root_id)
    if seq > newest_seq(root.conversation):
        raise ValidationError({"seq": "Past the conversation's newest event."})
    follow, _ = ThreadFollow.objects.select_for_update().get_or_create(
        user=user, root=root, defaults={"following": None}
    )
    if seq > follow.last_read_seq:
        follow.last_read_seq = seq
        follow.save(update_fields=["last_read_seq"])
        # The reader's other devices stop showing the thread unread; nobody else hears of it.
        frame = events.thread_read(follow, conversation_id=root.conversation_id)
        fanout.after_commit(fanout.to_user, user.pk, frame)
    return follow
