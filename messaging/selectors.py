"""Every read of conversations and messages, each behind its membership gate: what a user may not see is
indistinguishable from what does not exist (NotFound)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts import selectors as account_selectors
from accounts import tokens
from accounts.exceptions import AccountSuspended
from accounts.models import User
from core.errors import NotFound, Refused
from files.models import StoredFile
from messaging.events import (
    NO_MENTIONS,
    MentionsPayload,
    MessagePayload,
    event_frame,
    message_new,
    message_payload,
)
from messaging.mentions import ALL, HERE, mentioned_usernames
from messaging.models import (
    PREFETCHED_ATTACHMENTS,
    PREFETCHED_REACTIONS,
    Conversation,
    ConversationEvent,
    Membership,
    Mention,
    Message,
    Pin,
    Reaction,
    ThreadFollow,
    Webhook,
    in_attached_order,
)
from messaging.search import backends as search_backends
from messaging.search import query as search_query
from realtime.frames import to_json

HISTORY_MAX_LIMIT = 100
SEARCH_MAX_LIMIT = 50
MENTIONS_MAX_LIMIT = 100
MENTION_NOT_ALLOWED = "Only owners and admins may use @all and @here in this conversation."
# What every endpoint addressed by a message answers for one that does not exist or that the user may not see
# (the two are never told apart).
NO_SUCH_MESSAGE = "No such message."
# The same for a conversation the user is not a member of.
NO_SUCH_CONVERSATION = "No such conversation."
NO_SUCH_MEMBER = "No such member."


def membership_get(*, user: User, conversation_id: int) -> Membership:
    try:
        return Membership.objects.select_related("conversation").get(
            user=user, conversation_id=conversation_id
        )
    except Membership.DoesNotExist:
        raise NotFound(NO_SUCH_CONVERSATION) from None


MEMBER_SEARCH_LIMIT = 20  # a pick-list's worth: enough to choose from as one types "@ad…"


def member_search(*, user: User, conversation_id: int, query: str) -> list[User]:
    """Members of a conversation `user` is in (NotFound otherwise) whose username or display name contains
    `query`, by username, at most MEMBER_SEARCH_LIMIT, each with their `member_role`: a channel's
    conversation payload lists no members."""
    membership_get(user=user, conversation_id=conversation_id)
    found = _with_member_role(account_selectors.user_search(query=query), conversation_id)
    return list(found[:MEMBER_SEARCH_LIMIT])


def member_get(*, user: User, conversation_id: int, member_id: int) -> User:
    """A member of a conversation `user` is in, with their `member_role`; NotFound otherwise."""
    membership_get(user=user, conversation_id=conversation_id)
    member = _with_member_role(User.objects.filter(pk=member_id), conversation_id).first()
    if member is None:
        raise NotFound(NO_SUCH_MEMBER)
    return member


def _with_member_role(users: QuerySet[User], conversation_id: int) -> QuerySet[User]:
    """Those of `users` who are members of the conversation, each annotated with their role there (the join
    the filter makes: one row per user)."""
    members = users.filter(memberships__conversation_id=conversation_id)
    return members.annotate(member_role=F("memberships__role"))


def conversation_get_for_user(*, user: User, conversation_id: int) -> Conversation:
    return membership_get(user=user, conversation_id=conversation_id).conversation


def conversation_ids_for_user(*, user_id: int) -> list[int]:
    return list(Membership.objects.filter(user_id=user_id).values_list("conversation_id", flat=True))


def direct_key(user_id: int, other_id: int) -> str:
    """The `direct_key` of two people's direct conversation: "lowid:highid"."""
    return ":".join(str(uid) for uid in sorted((user_id, other_id)))


def direct_conversation_ids_blocked(*, user_id: int) -> set[int]:
    """The user's direct conversations with someone they blocked or who blocked them (two queries)."""
    others = account_selectors.user_ids_blocked_either_way(user_id=user_id)
    keys = [direct_key(user_id, other) for other in others]
    return (
        set(Conversation.objects.filter(direct_key__in=keys).values_list("pk", flat=True)) if keys else set()
    )


def conversation_is_blocked(*, conversation: Conversation) -> bool:
    """A direct conversation one of whose two people blocked the other: it carries no more messages."""
    if conversation.kind != Conversation.Kind.DIRECT or not conversation.direct_key:
        return False
    low, high = (int(uid) for uid in conversation.direct_key.split(":"))
    return account_selectors.blocked_either_way(user_id=low, other_id=high)


# Hand-written, like notifications' ANYONE_PUSHABLE_SQL: the ORM's version of the targeted query (an
# annotation, an OR, a join) cost 2.5 ms where this costs 0.5 (docs/benchmarks.md, "Present means looking").
# Portable SQL: a conversation's members (or only the sender and the members named) by lower-cased username.
MENTIONS_SQL = """
SELECT m.user_id, m.role, LOWER(u.username), c.kind, c.all_mention_policy
FROM {membership} m JOIN {user} u ON u.id = m.user_id JOIN {conversation} c ON c.id = m.conversation_id
WHERE m.conversation_id = %s{only}
"""
MENTIONS_ONLY_SQL = " AND (m.user_id = %s OR LOWER(u.username) IN ({names}))"


@dataclass(frozen=True)
class MentionDirectory:
    """What resolving mentions needs of a conversation: its kind and all_mention_policy, its members by
    lower-cased username, and which of them are owners or admins."""

    kind: str
    policy: str
    by_name: dict[str, int]
    members: frozenset[int]
    managers: frozenset[int]

    @property
    def words(self) -> frozenset[str]:
        """@here and @all in groups and channels, where they are words, not usernames; none in a direct."""
        return NO_WORDS if self.kind == Conversation.Kind.DIRECT else GROUPWIDE_WORDS


GROUPWIDE_WORDS = frozenset({HERE, ALL})
NO_WORDS: frozenset[str] = frozenset()


def mention_directory(
    *, conversation_id: int, sender_id: int | None = None, names: set[str] | None = None
) -> MentionDirectory:
    """Every member of the conversation (the socket's cache: messaging.delivery.mentions), or with
    `sender_id` and `names` only the sender and the members so named. One query."""
    only, params = "", list[int | str]([conversation_id])
    if sender_id is not None and names:
        only = MENTIONS_ONLY_SQL.format(names=", ".join(["%s"] * len(names)))
        params += [sender_id, *sorted(names)]
    sql = MENTIONS_SQL.format(
        membership=Membership._meta.db_table,
        user=User._meta.db_table,
        conversation=Conversation._meta.db_table,
        only=only,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    kind, policy = (rows[0][3], rows[0][4]) if rows else ("", "")
    return MentionDirectory(
        kind=kind,
        policy=policy,
        by_name={name: user_id for user_id, _, name, _, _ in rows},
        members=frozenset(row[0] for row in rows),
        managers=frozenset(row[0] for row in rows if row[1] in Membership.MANAGING_ROLES),
    )


def mentions_in(directory: MentionDirectory, *, sender_id: int, names: set[str]) -> MentionsPayload:
    """Whom `names` (a body's mentioned_usernames) mention there: the members named, and @here / @all (groups
    and channels only, where they are words, not usernames). Raises Refused("mention_not_allowed") when
    the sender may not use @all/@here there (all_mention_policy), NotFound when they are not a member."""
    if sender_id not in directory.members:  # removed while sending
        raise NotFound(NO_SUCH_CONVERSATION)
    words = names & directory.words
    here, everyone = HERE in words, ALL in words
    may_mention_all = (
        directory.policy == Conversation.AllMentionPolicy.ANYONE or sender_id in directory.managers
    )
    if (here or everyone) and not may_mention_all:
        raise Refused("mention_not_allowed", MENTION_NOT_ALLOWED)
    named = {directory.by_name[name] for name in names - words if name in directory.by_name}
    return {"mentions": sorted(named), "mentions_here": here, "mentions_all": everyone}


def mentions_resolve(*, sender_id: int, conversation_id: int, body: str) -> MentionsPayload:
    """Whom `body` mentions in this conversation, from the database (REST and webhook sends, edits): no query
    for a body without a mention, one for a body with. See mentions_in."""
    names = mentioned_usernames(body)
    if not names:
        return NO_MENTIONS
    directory = mention_directory(conversation_id=conversation_id, sender_id=sender_id, names=names)
    return mentions_in(directory, sender_id=sender_id, names=names)


def mentions_list_for_user(
    *, user: User, before: UUID | None = None, limit: int = 50
) -> tuple[list[Message], UUID | None]:
    """The messages mentioning `user` (by name, @all or @here), newest first, in conversations they are still
    a member of, never a deleted one; and the cursor of the next page (None at the end)."""
    rows = Mention.objects.filter(
        user=user,
        message__deleted_at__isnull=True,
        conversation__memberships__user=user,
    )
    if before is not None:
        rows = rows.filter(message_id__lt=before)
    ids = list(rows.order_by("-message_id").values_list("message_id", flat=True)[: limit + 1])
    more = len(ids) > limit
    ids = ids[:limit]
    messages = {
        m.pk: m for m in _with_details(Message.objects.filter(pk__in=ids)).select_related("conversation")
    }
    page = [messages[message_id] for message_id in ids if message_id in messages]
    return page, (ids[-1] if more else None)


def conversation_list_for_user(*, user: User) -> QuerySet[Conversation]:
    """The user's conversations by last activity, with their own membership state, unread count and unread
    mention count."""
    mine = Membership.objects.filter(user=user, conversation=OuterRef("pk"))
    unread = (
        Message.objects.filter(
            conversation=OuterRef("pk"),
            seq__gt=OuterRef("my_last_read_seq"),
            deleted_at__isnull=True,
            thread_root__isnull=True,  # a thread's replies are counted by the thread (threads_followed)
        )
        .exclude(sender=user)
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Conversation.objects.filter(Exists(mine))
        .annotate(
            my_role=Subquery(mine.values("role")[:1]),
            my_notification_level=Subquery(mine.values("notification_level")[:1]),
            my_last_read_seq=Subquery(mine.values("last_read_seq")[:1]),
        )
        .annotate(
            unread_count=Coalesce(Subquery(unread), 0),
            unread_mentions=Coalesce(Subquery(_unread_mentions(user)), 0),
            member_count=_member_count(),
        )
        .prefetch_related(
            Prefetch(
                "memberships",  # members are listed for direct conversations and groups, not for channels
                queryset=Membership.objects.exclude(conversation__kind=Conversation.Kind.CHANNEL)
                .select_related("user")
                .order_by("joined_at", "pk"),
            )
        )
        .order_by("-last_activity_at", "-pk")
    )


def _unread_mentions(user: User) -> QuerySet[Any]:
    """How many messages after the user's read marker mention them, not counting deleted ones."""
    return (
        Mention.objects.filter(
            user=user,
            conversation=OuterRef("pk"),
            seq__gt=OuterRef("my_last_read_seq"),
            message__deleted_at__isnull=True,
        )
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )


def _member_count() -> Coalesce:
    """Every member of the conversation (a join filtered on the user would count only them)."""
    members = (
        Membership.objects.filter(conversation=OuterRef("pk"))
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(members), 0)


def conversation_with_state_for_user(*, user: User, conversation_id: int) -> Conversation:
    conversation = conversation_list_for_user(user=user).filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound(NO_SUCH_CONVERSATION)
    return conversation


def last_messages(conversations: list[Conversation]) -> dict[int, Message]:
    """The newest message of each conversation's main timeline (not a reply in a thread) as of the rows
    given, in one query. A message stored since a row was read (past its `last_seq`) is not its last message:
    the row's unread count did not count it either, and the client's sync from `last_seq` brings it."""
    newest = _newest_in_main_timelines([c.pk for c in conversations])
    for conversation in conversations:
        message = newest.get(conversation.pk)
        if message is not None and message.seq > conversation.last_seq:  # rare: stored between two queries
            older = _with_details(
                Message.objects.filter(
                    conversation_id=conversation.pk, thread_root__isnull=True, seq__lte=conversation.last_seq
                ).order_by("-seq")
            ).first()
            if older is None:
                del newest[conversation.pk]
            else:
                newest[conversation.pk] = older
    return newest


def _newest_in_main_timelines(ids: list[int]) -> dict[int, Message]:
    """Each conversation's newest message outside threads: one probe of the (conversation, seq) index per
    conversation, newest first. (DISTINCT ON over the conversations' messages sorted all of them, on every
    conversation list: 550 ms for two conversations of 200,000 messages; docs/benchmarks.md.)"""
    newest = Subquery(
        Message.objects.filter(conversation=OuterRef("pk"), thread_root__isnull=True)
        .order_by("-seq")
        .values("pk")[:1]
    )
    newest_ids = Conversation.objects.filter(pk__in=ids).values(newest=newest)
    return {m.conversation_id: m for m in _with_details(Message.objects.filter(pk__in=newest_ids))}


def channel_list_public(*, user: User, search: str) -> QuerySet[Conversation]:
    channels = Conversation.objects.filter(kind=Conversation.Kind.CHANNEL, is_public=True)
    if search := search.strip():
        channels = channels.filter(title__icontains=search)
    return channels.annotate(
        member_count=Count("memberships", distinct=True),
        is_member=Count("memberships", filter=Q(memberships__user=user)),
    ).order_by("title", "pk")


def public_channel_get(*, conversation_id: int) -> Conversation:
    try:
        return Conversation.objects.get(pk=conversation_id, kind=Conversation.Kind.CHANNEL, is_public=True)
    except Conversation.DoesNotExist:
        raise NotFound(NO_SUCH_CONVERSATION) from None


def _attachments_prefetch(lookup: str) -> Prefetch:
    """Messages' attachments, in the order attached, into the plain list Message.attachment_files() reads."""
    return Prefetch(lookup, in_attached_order(StoredFile.objects.all()), to_attr=PREFETCHED_ATTACHMENTS)


def _with_details(messages: QuerySet[Message]) -> QuerySet[Message]:
    return messages.select_related("sender").prefetch_related(
        _attachments_prefetch("attachments"),
        Prefetch("reactions", Reaction.objects.order_by("created_at", "pk"), to_attr=PREFETCHED_REACTIONS),
    )


def _messages_seen_by(user: User, message_id: UUID) -> QuerySet[Message]:
    """The gate of a message: it is seen by the members of its conversation, and by nobody else."""
    return Message.objects.filter(pk=message_id, conversation__memberships__user=user)


def message_get_for_user(*, user: User, message_id: UUID) -> Message:
    message = _with_details(_messages_seen_by(user, message_id)).select_related("conversation").first()
    if message is None:
        raise NotFound(NO_SUCH_MESSAGE)
    return message


def message_check_seen(*, user: User, message_id: UUID) -> None:
    """NotFound unless `user` may see the message, as message_get_for_user would say, in one query that loads
    nothing: for a view to look before it reads a body whose service then loads the message itself."""
    if not _messages_seen_by(user, message_id).exists():
        raise NotFound(NO_SUCH_MESSAGE)


def message_to_forward(*, user: User, message_id: UUID) -> Message:
    """A message the user may see and forward (not a deleted one); NotFound if they may not see it."""
    message = message_get_for_user(user=user, message_id=message_id)
    if message.is_deleted:
        raise ValidationError({"message": "The message was deleted."})
    return message


def forward_origins_visible(*, user: User, messages: list[Message]) -> set[int]:
    """The conversations that forwards among `messages` came from and that `user` is a member of: a reader
    sees a forward's link back only into these (one query, and none when no message is a forward)."""
    origins = {m.forwarded_from["conversation"] for m in messages if m.forwarded_from}
    if not origins:
        return set()
    mine = Membership.objects.filter(user=user, conversation_id__in=origins)
    return set(mine.values_list("conversation_id", flat=True))


def pins_for_user(*, user: User, conversation_id: int) -> list[Pin]:
    """A conversation's pinned messages, newest pin first; NotFound unless the user is a member."""
    membership_get(user=user, conversation_id=conversation_id)
    return list(
        Pin.objects.filter(conversation_id=conversation_id)
        .select_related("pinned_by")
        .prefetch_related(Prefetch("message", queryset=_with_details(Message.objects.all())))
        .order_by("-pinned_at", "-pk")
    )


def message_history(
    *, user: User, conversation_id: int, before_seq: int | None, after_seq: int | None, limit: int
) -> tuple[list[Message], bool]:
    """A page of the main timeline by seq (replies in threads are in their thread's history): newest first,
    or oldest first after `after_seq`. Returns (page, has_more)."""
    membership_get(user=user, conversation_id=conversation_id)
    messages = Message.objects.filter(conversation_id=conversation_id, thread_root__isnull=True)
    return _page(messages, before_seq=before_seq, after_seq=after_seq, limit=limit)


def _page(
    messages: QuerySet[Message], *, before_seq: int | None, after_seq: int | None, limit: int
) -> tuple[list[Message], bool]:
    if after_seq is not None:
        messages = messages.filter(seq__gt=after_seq).order_by("seq")
    else:
        messages = messages.order_by("-seq")
    if before_seq is not None:
        messages = messages.filter(seq__lt=before_seq)
    page = list(_with_details(messages)[: limit + 1])
    return page[:limit], len(page) > limit


def message_window(
    *, user: User, conversation_id: int, around_seq: int, limit: int
) -> tuple[list[Message], bool, bool]:
    """A page of the main timeline around `around_seq` (half before it; it and the rest after), newest first,
    to open a conversation at a message; like message_history's pages, without replies in threads (a reply's
    seq opens the main timeline where it was sent). Returns (page, has_older, has_newer)."""
    membership_get(user=user, conversation_id=conversation_id)
    messages = Message.objects.filter(conversation_id=conversation_id, thread_root__isnull=True)
    return _window(messages, around_seq=around_seq, limit=limit)


def _window(messages: QuerySet[Message], *, around_seq: int, limit: int) -> tuple[list[Message], bool, bool]:
    before, rest = limit // 2, limit - limit // 2
    older = list(_with_details(messages.filter(seq__lt=around_seq).order_by("-seq"))[: before + 1])
    newer = list(_with_details(messages.filter(seq__gte=around_seq).order_by("seq"))[: rest + 1])
    return [*reversed(newer[:rest]), *older[:before]], len(older) > before, len(newer) > rest


@dataclass(frozen=True)
class SearchPage:
    hits: list[tuple[Message, str]]  # each message with its snippet (escaped HTML, our <mark>s only)
    next_cursor: str | None


def message_search(
    *, user: User, text: str, include_public: bool, cursor: str | None, limit: int
) -> SearchPage:
    """Messages matching `text` (messaging.search.query) in the user's conversations, and in public channels
    if asked, best first; deleted and removed messages never match. ValidationError for a query that does
    not parse."""
    try:
        query = search_query.parse(text)
    except search_query.QueryError as error:
        raise ValidationError({"q": str(error)}) from None
    try:
        after = search_backends.cursor_decode(cursor) if cursor else None
    except search_query.QueryError as error:
        raise ValidationError({"cursor": str(error)}) from None
    visible = Q(pk__in=Membership.objects.filter(user=user).values("conversation_id"))
    if include_public:
        visible |= Q(kind=Conversation.Kind.CHANNEL, is_public=True)
    conversations = Conversation.objects.filter(visible)
    if query.conversations:
        named = Q()
        for title in query.conversations:
            named |= Q(title__iexact=title)
        conversations = conversations.filter(named)
    conversation_ids = tuple(conversations.values_list("pk", flat=True))
    senders = None
    if query.senders:
        named = Q()
        for username in query.senders:
            named |= Q(username__iexact=username)
        senders = tuple(User.objects.filter(named).values_list("pk", flat=True))
    scope = search_backends.Scope(conversation_ids, senders)
    hits = search_backends.search_page(query=query, scope=scope, after=after, limit=limit + 1)
    page = hits[:limit]
    messages = _with_details(Message.objects.filter(pk__in=[hit.message_id for hit in page]))
    by_id = {message.pk: message for message in messages.select_related("conversation")}
    return SearchPage(
        hits=[(by_id[hit.message_id], hit.snippet) for hit in page if hit.message_id in by_id],
        next_cursor=search_backends.cursor_encode(page[-1]) if len(hits) > limit else None,
    )


# --- threads


@dataclass(frozen=True, slots=True)
class ReferenceState:
    """What the send path checks of a message a send refers to (messaging.delivery.references)."""

    conversation: int
    is_reply: bool  # itself a reply in a thread
    deleted: bool  # by its author, a manager of the conversation or a moderator: for good


def message_thread_state(*, message_id: UUID) -> ReferenceState | None:
    """A stored message's ReferenceState, for the send path's checks of what a send refers to (no gate: the
    sender's membership of the conversation is checked already, and the answer is only whether the message
    is one of that conversation)."""
    row = (
        Message.objects.filter(pk=message_id)
        .values_list("conversation_id", "thread_root_id", "deleted_at")
        .first()
    )
    return None if row is None else ReferenceState(row[0], row[1] is not None, row[2] is not None)


def thread_root_get_for_user(*, user: User, root_id: UUID) -> Message:
    """A message that can have a thread (one of the main timeline), of a conversation the user is in."""
    root = message_get_for_user(user=user, message_id=root_id)
    if root.thread_root_id is not None:
        raise NotFound("No such thread.")
    return root


def thread_history(
    *, user: User, root_id: UUID, before_seq: int | None, after_seq: int | None, limit: int
) -> tuple[Message, list[Message], bool]:
    """A thread's root and a page of its replies by seq (newest first, or oldest first after `after_seq`).
    Returns (root, page, has_more)."""
    root = thread_root_get_for_user(user=user, root_id=root_id)
    replies = Message.objects.filter(conversation_id=root.conversation_id, thread_root=root)
    return root, *_page(replies, before_seq=before_seq, after_seq=after_seq, limit=limit)


NO_SUCH_REPLY = "No such reply in this thread."


def thread_window(
    *, user: User, root_id: UUID, around_seq: int, limit: int
) -> tuple[Message, list[Message], bool, bool]:
    """A thread's root and a page of its replies around the reply `around_seq` (half before it; it and the
    rest after), newest first, to open the thread at a reply (a search hit, a mention). NotFound unless
    `around_seq` is one of this thread's replies (a deleted one too: it shows as deleted).
    Returns (root, page, has_older, has_newer)."""
    root = thread_root_get_for_user(user=user, root_id=root_id)
    replies = Message.objects.filter(conversation_id=root.conversation_id, thread_root=root)
    if not replies.filter(seq=around_seq).exists():
        raise NotFound(NO_SUCH_REPLY)
    return root, *_window(replies, around_seq=around_seq, limit=limit)


def thread_follow_get(*, user: User, root: Message) -> ThreadFollow | None:
    return ThreadFollow.objects.filter(user=user, root=root).first()


def threads_followed(*, user: User) -> QuerySet[ThreadFollow]:
    """The threads the user follows in conversations they are still in, the most recently replied first,
    each with `unread_count`: replies by others after the user's thread read marker, not deleted."""
    unread = (
        Message.objects.filter(
            thread_root=OuterRef("root"), seq__gt=OuterRef("last_read_seq"), deleted_at__isnull=True
        )
        .exclude(sender=user)
        .order_by()
        .values("thread_root")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        ThreadFollow.objects.filter(
            user=user, following=True, root__conversation__memberships__user=user, root__reply_count__gt=0
        )
        .annotate(unread_count=Coalesce(Subquery(unread), 0))
        .select_related("root__sender")
        .prefetch_related(
            _attachments_prefetch("root__attachments"),
            Prefetch("root__reactions", queryset=Reaction.objects.order_by("created_at", "pk")),
        )
        .order_by("-root__last_reply_at", "-pk")
    )


def message_stored_by_client_id(*, sender: User, client_id: UUID) -> Message | None:
    """The stored message `sender` made with `client_id`, as it is now (edited, deleted), if any."""
    return _with_details(Message.objects.filter(sender=sender, client_id=client_id)).first()


def message_payload_by_client_id(*, sender_id: int, client_id: UUID) -> MessagePayload | None:
    message = _with_details(Message.objects.filter(sender_id=sender_id, client_id=client_id)).first()
    return message_payload(message) if message else None


def events_between(
    *, conversation_id: int, after_seq: int, before_seq: int | None, limit: int
) -> list[tuple[int, str | None]]:
    """A conversation's stored events with after_seq < seq < before_seq, oldest first, at most `limit`, as
    the frames a replay sends: messages and what they name as they are now, and None (nothing to send) for
    an event the page makes redundant — an edit or deletion of a message the page's own message.new shows
    as it is now, or before a later edit or deletion of it; a reaction to a message deleted since, or before
    a later change of the same reaction; a member's read marker before their next; a rename before the next;
    a member's role before their next (docs/protocol.md: replays reach the end state, not every step)."""
    in_range = Q(conversation_id=conversation_id, seq__gt=after_seq)
    if before_seq is not None:
        in_range &= Q(seq__lt=before_seq)
    messages: list[Message | ConversationEvent] = list(
        _with_details(Message.objects.filter(in_range).order_by("seq"))[:limit]
    )
    stored_events: list[Message | ConversationEvent] = list(
        ConversationEvent.objects.filter(in_range)
        .select_related("conversation")
        .prefetch_related(Prefetch("message", queryset=_with_details(Message.objects.all())))
        .order_by("seq")[:limit]
    )
    page = sorted([*messages, *stored_events], key=lambda row: row.seq)[:limit]
    superseded = _superseded(page)
    return [(row.seq, None if row.seq in superseded else to_json(_frame(row))) for row in page]


def _frame(row: Message | ConversationEvent) -> dict[str, Any]:
    if isinstance(row, Message):
        return message_new(message_payload(row))
    return event_frame(row)


def _superseded(page: list[Message | ConversationEvent]) -> set[int]:
    """The seqs of the page's events that the page makes redundant (see events_between)."""
    shown_whole = {row.id for row in page if isinstance(row, Message)}
    latest: dict[tuple[Any, ...], int] = {}  # what an event is about -> the seq of its latest event
    superseded: set[int] = set()
    for row in page:
        if isinstance(row, Message):
            continue
        key = _subject(row)
        if _shown_otherwise(row, shown_whole):
            superseded.add(row.seq)
        elif key is not None:
            if key in latest:
                superseded.add(latest[key])
            latest[key] = row.seq
    return superseded


def _shown_otherwise(event: ConversationEvent, shown_whole: set[Any]) -> bool:
    Kind = ConversationEvent.Kind
    if event.kind in (Kind.MESSAGE_UPDATED, Kind.MESSAGE_DELETED, Kind.THREAD_UPDATED):
        return event.message_id in shown_whole  # its message.new shows the message as it is now
    if event.kind in (Kind.REACTION, Kind.PIN):
        return event.message is not None and event.message.is_deleted  # deleting drops reactions and pins
    return False


def _subject(event: ConversationEvent) -> tuple[Any, ...] | None:
    """What a later event of the same subject replaces; None for an event that is never redundant."""
    Kind = ConversationEvent.Kind
    if event.kind in (Kind.MESSAGE_UPDATED, Kind.MESSAGE_DELETED):
        return ("message", event.message_id)
    if event.kind == Kind.REACTION:
        return ("reaction", event.message_id, event.user_id, event.data.get("emoji"))
    if event.kind == Kind.PIN:
        return ("pin", event.message_id)
    if event.kind == Kind.READ:
        return ("read", event.user_id)
    if event.kind == Kind.MEMBER_UPDATED:
        return ("role", event.user_id)
    if event.kind == Kind.CONVERSATION_UPDATED:
        return ("conversation",)
    if event.kind == Kind.THREAD_UPDATED:
        return ("thread", event.message_id)
    return None


def event_exists(*, conversation_id: int, seq: int) -> bool:
    """Whether a stored message or event of the conversation has this seq."""
    return (
        Message.objects.filter(conversation_id=conversation_id, seq=seq).exists()
        or ConversationEvent.objects.filter(conversation_id=conversation_id, seq=seq).exists()
    )


def conversation_last_seq(*, conversation_id: int) -> int:
    return Conversation.objects.filter(pk=conversation_id).values_list("last_seq", flat=True).first() or 0


def conversations_last_seq(*, conversation_ids: list[int]) -> dict[int, int]:
    return dict(Conversation.objects.filter(pk__in=conversation_ids).values_list("pk", "last_seq"))


def conversations_by_id(*, ids: set[int]) -> list[Conversation]:
    """Conversations by id, without a gate: for callers that know the user is a member of each."""
    return list(Conversation.objects.filter(pk__in=ids).order_by("pk"))


def member_ids(*, conversation_id: int) -> list[int]:
    return list(Membership.objects.filter(conversation_id=conversation_id).values_list("user_id", flat=True))


def messages_sent_since(*, since: datetime) -> int:
    """How many stored messages were sent since `since` (for operators: no membership gate)."""
    return Message.objects.filter(created_at__gte=since).count()


# --- incoming webhooks


def _live_webhooks() -> QuerySet[Webhook]:
    """Webhooks not revoked whose bot is in their conversation: removing the bot revokes its webhook
    (`member_remove`), but a bot removed before that did is gone from one still unrevoked."""
    bot_is_member = Membership.objects.filter(
        conversation_id=OuterRef("conversation_id"), user_id=OuterRef("bot_id")
    )
    return Webhook.objects.filter(Exists(bot_is_member), revoked_at__isnull=True)


def webhook_list_for_user(*, user: User, conversation_id: int) -> QuerySet[Webhook]:
    membership_get(user=user, conversation_id=conversation_id)
    return (
        _live_webhooks()
        .filter(conversation_id=conversation_id)
        .select_related("bot", "created_by")
        .order_by("created_at", "pk")
    )


def webhook_get_for_manager(*, user: User, webhook_id: int) -> Webhook:
    """A webhook its creator, or an owner or admin of its conversation, may change; NotFound otherwise."""
    webhook = (
        _live_webhooks()
        .filter(pk=webhook_id, conversation__memberships__user=user)
        .select_related("bot", "created_by")
        .first()
    )
    if webhook is None:
        raise NotFound("No such webhook.")
    if webhook.created_by_id != user.pk:
        membership = membership_get(user=user, conversation_id=webhook.conversation_id)
        if not membership.can_manage:
            raise PermissionDenied("Only its creator or the conversation's owners and admins can change it.")
    return webhook


WEBHOOK_SUSPENDED = (
    "The webhook's maker, or its bot, is suspended: it posts again once a moderator reinstates them."
)


def webhook_for_secret(*, secret: str) -> Webhook:
    """The live webhook a secret names; NotFound for a wrong, rotated or revoked one, or one whose bot has
    left the conversation. AccountSuspended when its creator is suspended."""
    parsed = tokens.parse_token(secret, prefix=tokens.WEBHOOK_PREFIX)
    webhook = (
        Webhook.objects.filter(pk=parsed[0], revoked_at__isnull=True).select_related("bot__bot_owner").first()
        if parsed
        else None
    )
    if webhook is None or parsed is None or not tokens.secret_matches(parsed[1], webhook.secret_hash):
        raise NotFound("No such webhook.")
    try:
        account_selectors.user_check_not_suspended(webhook.bot)
    except AccountSuspended as error:  # "this account" would be no account the caller has
        raise AccountSuspended(WEBHOOK_SUSPENDED) from error
    bot_is_member = Membership.objects.filter(user=webhook.bot, conversation_id=webhook.conversation_id)
    if not account_selectors.user_may_act(webhook.bot) or not bot_is_member.exists():
        raise NotFound("No such webhook.")
    return webhook
