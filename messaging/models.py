from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from solo.models import SingletonModel
from uuid6 import uuid7

if TYPE_CHECKING:
    from files.models import StoredFile

# A retention of 0 days would delete every message on the purge's next hourly run: at least a day, or none.
AT_LEAST_A_DAY = MinValueValidator(
    1,
    "Keep messages at least 1 day: 0 would delete every message on the next hourly run. Leave it empty to "
    "keep them forever.",
)


PUBLIC_CHANNEL_TITLE_UNIQUE = "public_channel_title_unique"


class Conversation(models.Model):
    class Kind(models.TextChoices):
        DIRECT = "direct"
        GROUP = "group"
        CHANNEL = "channel"

    class PinPolicy(models.TextChoices):
        MEMBERS = "members", "every member"
        ADMINS = "admins", "owners and admins"

    class AllMentionPolicy(models.TextChoices):
        ANYONE = "anyone", "every member"
        ADMINS = "admins", "owners and admins"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    title = models.CharField(max_length=100, blank=True)
    is_public = models.BooleanField(default=False)
    # "lowid:highid" for direct conversations, so each pair has at most one.
    direct_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Highest seq stored (a message or an event): where a client that loads the conversation starts its sync.
    last_seq = models.BigIntegerField(default=0)
    # The embedded mode's counter (full-stack counts in Redis): the highest seq handed out, stored or not yet.
    seq_counter = models.BigIntegerField(default=0, editable=False)
    retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[AT_LEAST_A_DAY],
        help_text="Delete this conversation's messages older than this many days (checked hourly), instead "
        "of the workspace's retention (Retention policy). Empty: the workspace's. A message with an open "
        "report is kept until the moderators resolve it.",
    )
    pin_policy = models.CharField(
        max_length=8,
        choices=PinPolicy.choices,
        default=PinPolicy.MEMBERS,
        help_text="Who may pin and unpin messages (owners and admins set it).",
    )
    # Who may write @all and @here (groups and channels; channels start at "admins", groups at "anyone").
    all_mention_policy = models.CharField(
        max_length=8,
        choices=AllMentionPolicy.choices,
        default=AllMentionPolicy.ANYONE,
        help_text="Who may use @all and @here (owners and admins set it).",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(is_public=False) | Q(kind="channel"), name="only_channels_public"
            ),
            # No two public channels share a name, whatever its case (the channel browser tells them apart by
            # name); private groups and channels may (services.conversations: public_channel_title_taken).
            models.UniqueConstraint(
                Lower("title"),
                condition=Q(kind="channel", is_public=True),
                name=PUBLIC_CHANNEL_TITLE_UNIQUE,
            ),
        ]
        indexes = [models.Index(fields=["kind", "is_public"], name="conversation_browse")]

    def __str__(self) -> str:
        return self.title or f"{self.kind} #{self.pk}"


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner"
        ADMIN = "admin"
        MEMBER = "member"

    class NotificationLevel(models.TextChoices):
        DEFAULT = "default", "the user's level for this kind of conversation"
        ALL = "all"
        MENTIONS = "mentions"
        NONE = "none"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)
    last_read_seq = models.BigIntegerField(default=0)
    # The member's own notification level here; "none" is what the API's `muted` stands for.
    notification_level = models.CharField(
        max_length=8, choices=NotificationLevel.choices, default=NotificationLevel.DEFAULT
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "conversation"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id} ({self.role})"

    MANAGING_ROLES = (Role.OWNER, Role.ADMIN)

    @property
    def can_manage(self) -> bool:
        return self.role in self.MANAGING_ROLES

    @property
    def can_pin(self) -> bool:
        policy = self.conversation.pin_policy
        return policy == Conversation.PinPolicy.MEMBERS or self.can_manage

    @property
    def muted(self) -> bool:
        return self.notification_level == self.NotificationLevel.NONE

    @property
    def may_mention_all(self) -> bool:
        """May write @all and @here here (only groups and channels have them)."""
        policy = self.conversation.all_mention_policy
        return policy == Conversation.AllMentionPolicy.ANYONE or self.can_manage


# Where messaging.selectors puts a page's attachments and reactions (Prefetch(to_attr=…)): plain lists.
# Django's prefetch into the related managers builds two querysets per message, a third of a history page's
# CPU (docs/benchmarks.md, "REST requests: their CPU and their latency").
PREFETCHED_ATTACHMENTS = "prefetched_attachments"
PREFETCHED_REACTIONS = "prefetched_reactions"


def message_reference() -> "models.ForeignKey[Message | None, Message | None]":
    """Another message, named by id without a database constraint: it may still be in flight when the message
    naming it is stored. No index of its own (each field says why)."""
    return models.ForeignKey(
        "self",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )


class Message(models.Model):
    BODY_MAX_LENGTH = 10_000

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # No index of its own: one_seq_per_conversation's (conversation, seq) serves every lookup by conversation.
    # With both, PostgreSQL may count a conversation's unread messages (seq > the read marker, a value it only
    # learns while running) through this one, reading the whole conversation (docs/benchmarks.md).
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    # No index of its own either: one_message_per_client_id's (sender, client_id) serves lookups by sender.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages", db_index=False
    )
    seq = models.BigIntegerField()
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    client_id = models.UUIDField()
    # A reply names its parent. No index: nothing looks messages up by what they reply to, and every stored
    # message would pay for one.
    reply_to = message_reference()
    # A reply in a thread names the thread's root, a message of the main timeline of the same conversation.
    # Its lookups use thread_replies (below), which leaves out the main timeline's messages.
    thread_root = message_reference()
    # A root's thread summary, recomputed from its replies whenever replies are stored or deleted
    # (messaging.services.threads): the main timeline shows it without counting anything.
    reply_count = models.PositiveIntegerField(default=0)
    last_reply_at = models.DateTimeField(null=True, blank=True)
    last_reply_seq = models.BigIntegerField(default=0)
    thread_participants = models.JSONField(default=list, blank=True)  # user ids, latest replier first
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # A forward's origin: {"message", "conversation", "sender_name"} (messaging.events.ForwardPayload).
    forwarded_from = models.JSONField(null=True, blank=True)
    attachments = models.ManyToManyField("files.StoredFile", blank=True, related_name="messages")
    # The original names of its files, one a line, for the search index only (docs/search.md): written with
    # the message by storage, emptied when it is deleted, and rewritten by the database whenever a file
    # leaves a message that is not deleted (messaging.search.backends' triggers).
    attachment_names = models.TextField(blank=True, default="", editable=False)
    # Link previews of the URLs in the body (messaging.events.LinkPreviewPayload), added once unfurled.
    previews = models.JSONField(default=list, blank=True)
    # Whom the body mentions, as resolved when it was sent or last edited (docs/protocol.md, "Mentions"): the
    # members named by @username (user ids), and whether it says @here or @all. Who was notified is Mention.
    mentions = models.JSONField(default=list, blank=True)
    mentions_here = models.BooleanField(default=False)
    mentions_all = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="one_seq_per_conversation"),
            models.UniqueConstraint(fields=["sender", "client_id"], name="one_message_per_client_id"),
        ]
        indexes = [
            models.Index(
                fields=["thread_root", "seq"], name="thread_replies", condition=Q(thread_root__isnull=False)
            )
        ]
        ordering = ["conversation", "seq"]
        permissions = [("remove_message", "Can remove messages as a moderator")]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def attachment_files(self) -> list["StoredFile"]:
        """Its attachments: the list messaging.selectors prefetched, else a query."""
        prefetched: list[StoredFile] | None = getattr(self, PREFETCHED_ATTACHMENTS, None)
        return prefetched if prefetched is not None else list(in_attached_order(self.attachments.all()))

    def reaction_list(self) -> list["Reaction"]:
        """Its reactions: the list messaging.selectors prefetched (oldest first), else a query."""
        prefetched: list[Reaction] | None = getattr(self, PREFETCHED_REACTIONS, None)
        return prefetched if prefetched is not None else list(self.reactions.all())


def in_attached_order(files: "QuerySet[StoredFile]") -> "QuerySet[StoredFile]":
    """Files reached through Message.attachments (a prefetch or the related manager), in the order they were
    attached. That relation joins its link table, under the table's own name (its only join), and the link
    rows' ids follow the order messaging.services.storage inserts them in: the message's own order."""
    links = Message.attachments.through._meta.db_table
    return files.order_by(RawSQL(f'"{links}"."id"', ()))  # noqa: S611 (a table name of ours, no input)


class Mention(models.Model):
    """A member a message mentions: named by @username, or a member when it said @all, or a member present
    when it said @here. Written by the persistence task (and again on an edit); the Mentions view and the
    unread mention counts read it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mention_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()  # the message's, for unread counts without a join

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="one_mention_per_user")]
        indexes = [
            models.Index(fields=["user", "conversation", "seq"], name="mentions_unread"),
            models.Index(fields=["user", "-message"], name="mentions_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.message_id}"


class Reaction(models.Model):
    EMOJI_MAX_LENGTH = 32

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=EMOJI_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user", "emoji"], name="one_reaction_per_emoji"),
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.user_id}"


class Pin(models.Model):
    """A message pinned in its conversation (at most once); it goes when the message is deleted."""

    MAX_PER_CONVERSATION = 50

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="pins")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="pin")
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    pinned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "pinned_at"], name="pins_by_conversation")]

    def __str__(self) -> str:
        return f"pin of {self.message_id}"


class MessageRevision(models.Model):
    """A message's body as it was before one edit (or a moderator's removal), kept for moderators."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["message", "created_at", "pk"]

    def __str__(self) -> str:
        return f"revision of {self.message_id} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class ConversationEvent(models.Model):
    """A change members see, other than a new message (a Message row is its own event): its place in the
    conversation's one order — `seq`, shared with messages — and what a replay needs to show it
    (docs/protocol.md, "Events and cursors"). A replay renders it from what it names as it is *now*: an
    edited message that was then deleted replays deleted."""

    class Kind(models.TextChoices):
        MESSAGE_UPDATED = "message.updated"
        MESSAGE_DELETED = "message.deleted"
        REACTION = "reaction"
        READ = "read"
        MEMBERSHIP = "membership"
        MEMBER_UPDATED = "member.updated"  # a member's role changed
        CONVERSATION_UPDATED = "conversation.updated"
        PIN = "pin"
        THREAD_UPDATED = "thread.updated"
        USER_ERASED = "user.erased"  # a member deleted their account: their messages and name go

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # The message it is about (edits, deletions, reactions, pins; a thread's root).
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # Who reacted, read, joined, left, pinned or unpinned, whose role changed, or who was erased.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)  # the rest: emoji and state, up_to, by_moderator, role…
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="one_event_per_seq"),
        ]
        ordering = ["conversation", "seq"]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq} {self.kind}"


class ThreadFollow(models.Model):
    """A user's relation to a thread: whether they follow it and how far they have read it. `following` is
    None until decided: replying (or being the root's sender) makes it True, unless the user unfollowed the
    thread (False), which replying again does not undo."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    root = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="thread_follows")
    following = models.BooleanField(null=True, default=True)
    last_read_seq = models.BigIntegerField(default=0)  # the seq of the newest reply read
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "root"], name="one_thread_follow_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {'follows' if self.following else 'left'} thread {self.root_id}"


class Webhook(models.Model):
    """An incoming webhook: `POST /api/v1/hooks/<secret>/` posts into `conversation` as `bot`. The secret
    (`wh_<id>_<random>`) is stored only as a SHA-256; rotating replaces it, revoking ends the webhook."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="webhooks")
    bot = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=64)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} → {self.conversation_id}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class RetentionPolicy(SingletonModel):
    """How long messages are kept, and what becomes of an erased person's messages (docs/accounts.md)."""

    class ErasedMessages(models.TextChoices):
        EMPTY = "empty", "emptied: they show as deleted messages of “Deleted user”"
        KEEP = "keep", "kept: their text stays, from “Deleted user”"

    message_retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[AT_LEAST_A_DAY],
        help_text="Delete messages older than this many days, with their files (an hourly task, run by "
        "Celery beat; the embedded mode has none: docs/operations.md). Empty: keep them forever. A "
        "conversation may set its own. A message with an open report is kept until the moderators resolve "
        "it.",
    )
    erased_users_messages = models.CharField(
        "erased users' messages", max_length=8, choices=ErasedMessages.choices, default=ErasedMessages.EMPTY
    )

    class Meta:
        verbose_name = "retention policy"

    def __str__(self) -> str:
        return "Retention policy"
