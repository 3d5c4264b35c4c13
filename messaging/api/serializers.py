from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import PublicUserSerializer
from core.ids import id_field, seq_field, uuid_field
from core.serializers import StrictCharField, StrictIntegerField, WholeBodySerializer
from core.text import has_visible
from files.api.serializers import StoredFileSerializer
from messaging.events import forward_for_reader, message_payload
from messaging.models import Conversation, Membership, Message, Reaction
from messaging.selectors import HISTORY_MAX_LIMIT, MENTIONS_MAX_LIMIT, SEARCH_MAX_LIMIT

# --- input


class ConversationCreateInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Conversation.Kind.choices)
    title = StrictCharField(max_length=100, required=False, default="", allow_blank=True)
    members = serializers.ListField(child=id_field(), max_length=500)
    is_public = serializers.BooleanField(required=False, default=False)


class ConversationUpdateInputSerializer(serializers.Serializer):
    title = StrictCharField(max_length=100, required=False)
    notification_level = serializers.ChoiceField(
        choices=Membership.NotificationLevel.choices,
        required=False,
        help_text="Your own setting: which messages here notify you. `default`: your level for this kind of "
        "conversation (users/me/notifications/); `all`; `mentions` (messages mentioning you); `none`.",
    )
    muted = serializers.BooleanField(
        required=False,
        help_text="The older name of notification_level `none`: true sets it, false turns `none` back into "
        "`default`. notification_level wins if both are given.",
    )
    all_mention_policy = serializers.ChoiceField(
        choices=Conversation.AllMentionPolicy.choices,
        required=False,
        help_text="Who may use @all and @here: every member, or only owners and admins (whom only they may "
        "set; not in direct conversations).",
    )
    pin_policy = serializers.ChoiceField(
        choices=Conversation.PinPolicy.choices,
        required=False,
        help_text="Who may pin and unpin messages: every member, or only owners and admins (whom only they "
        "may set; not in direct conversations).",
    )


class MemberAddInputSerializer(serializers.Serializer):
    user = id_field()


class MemberRoleInputSerializer(WholeBodySerializer):
    role = serializers.ChoiceField(
        choices=Membership.Role.choices,
        help_text="`owner` (changes roles, and everything an admin does), `admin` (renames, adds and removes "
        "members but owners, sets who may pin and use @all/@here) or `member`.",
    )


def around_field(*, help_text: str) -> serializers.IntegerField:
    """The seq a page is opened at, in the main timeline and in a thread alike: a message's seq, 1 or more
    (0 and below name no message: a 400 on `around`, never an empty or oldest page, nor a 404)."""
    return seq_field(minimum=1, required=False, help_text=help_text)


class HistoryParamsSerializer(serializers.Serializer):
    before_seq = seq_field(required=False)
    after_seq = seq_field(required=False)
    around = around_field(
        help_text="Open the history at this seq (1 or more): about half the page before it, it and the rest "
        "after (not with before_seq or after_seq). The page says has_more (older) and has_more_newer. Like "
        "every page of history, the main timeline: replies in threads are in their thread.",
    )
    limit = StrictIntegerField(min_value=1, max_value=HISTORY_MAX_LIMIT, required=False, default=50)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "around" in attrs and ("before_seq" in attrs or "after_seq" in attrs):
            raise serializers.ValidationError("around cannot be combined with before_seq or after_seq.")
        return attrs


class ThreadParamsSerializer(HistoryParamsSerializer):
    around = around_field(
        help_text="Open the thread at this reply (a search hit, a mention): about half the page before it, "
        "it and the rest after (not with before_seq or after_seq). The seq of one of this thread's replies, "
        "else 404 (0 or less: 400). The page says has_more (older) and has_more_newer.",
    )


class MessageSendInputSerializer(serializers.Serializer):
    body = StrictCharField(max_length=Message.BODY_MAX_LENGTH, trim_whitespace=False)
    client_id = uuid_field(help_text="Your idempotency key: the same value again returns the same message.")
    reply_to = uuid_field(required=False, allow_null=True, default=None)
    thread_root = uuid_field(
        required=False,
        allow_null=True,
        default=None,
        help_text="Reply in this message's thread: a message of the main timeline of this conversation, not "
        "deleted (else 404, as for one that does not exist).",
    )
    attachments = serializers.ListField(child=uuid_field(), max_length=10, required=False, default=list)

    def validate_body(self, body: str) -> str:
        if not has_visible(body):
            raise serializers.ValidationError("The message cannot be empty.")
        return body


class ForwardInputSerializer(serializers.Serializer):
    conversation = id_field(help_text="The conversation to forward into; you must be a member.")
    client_id = uuid_field(
        help_text="Your idempotency key for the forward: the same value again returns the same message."
    )


class MessageEditInputSerializer(WholeBodySerializer):
    body = StrictCharField(max_length=Message.BODY_MAX_LENGTH, trim_whitespace=False)


class ReactionInputSerializer(serializers.Serializer):
    emoji = StrictCharField(max_length=Reaction.EMOJI_MAX_LENGTH)


class ReadInputSerializer(serializers.Serializer):
    seq = seq_field(help_text="Read up to this seq: the seq of an event of the conversation (or 0).")


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=200,
        help_text='Words (stemmed: "run" finds "running"), "quoted phrases", OR, -excluded, and the filters '
        "from:@user, in:#channel, has:file, before:YYYY-MM-DD, after:YYYY-MM-DD (days in UTC).",
    )
    public = serializers.BooleanField(
        required=False, default=False, help_text="Search public channels you are not in, too."
    )
    cursor = serializers.CharField(max_length=200, required=False, help_text="next_cursor of the last page.")
    limit = StrictIntegerField(min_value=1, max_value=SEARCH_MAX_LIMIT, required=False, default=20)


class ChannelSearchParamsSerializer(serializers.Serializer):
    search = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


# --- output


class SenderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class ReactionSummarySerializer(serializers.Serializer):
    emoji = serializers.CharField()
    count = serializers.IntegerField()
    users = serializers.ListField(child=serializers.IntegerField())


class ForwardSerializer(serializers.Serializer):
    message = serializers.UUIDField(
        allow_null=True, help_text="The original; null when you may not see it (then it is only “forwarded”)."
    )
    conversation = serializers.IntegerField(
        allow_null=True, help_text="The original's conversation, or null."
    )
    sender_name = serializers.CharField(help_text="The name of the original's author.")
    sender_id = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="The original's author (null in forwards from before it was recorded).",
    )


class PreviewImageSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Parley's copy of the page's image (a path of this API)")
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class LinkPreviewSerializer(serializers.Serializer):
    url = serializers.URLField()
    title = serializers.CharField()
    description = serializers.CharField()
    site_name = serializers.CharField()
    image = PreviewImageSerializer(allow_null=True)


class ThreadSummarySerializer(serializers.Serializer):
    reply_count = serializers.IntegerField()
    last_reply_at = serializers.DateTimeField(allow_null=True)
    last_reply_seq = serializers.IntegerField()
    participants = serializers.ListField(
        child=serializers.IntegerField(), help_text="User ids of the latest repliers, the latest first."
    )


class MessageSerializer(serializers.Serializer):
    """The protocol's message object (messaging.events.MessagePayload, built there) plus a summary of
    reactions. The fields document it for OpenAPI; `to_representation` returns the payload itself. A forward
    links back to its original only for a reader who may see it: the context's `visible_origins`
    (messaging.selectors.forward_origins_visible) names the conversations they may; without it, none."""

    id = serializers.UUIDField()
    conversation = serializers.IntegerField()
    seq = serializers.IntegerField()
    sender = SenderSerializer()
    body = serializers.CharField()
    client_id = serializers.UUIDField()
    reply_to = serializers.UUIDField(allow_null=True)
    thread_root = serializers.UUIDField(
        allow_null=True, help_text="The root of the thread this message replies in; null: the main timeline."
    )
    thread = ThreadSummarySerializer(
        allow_null=True, help_text="The message's thread, if anyone replied in one; null otherwise."
    )
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted = serializers.BooleanField()
    attachments = StoredFileSerializer(many=True)
    previews = LinkPreviewSerializer(many=True)
    reactions = ReactionSummarySerializer(many=True)
    forwarded_from = ForwardSerializer(allow_null=True, help_text="Where a forwarded message came from.")
    mentions = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="User ids of the members the body names by @username (as resolved when sent or edited).",
    )
    mentions_here = serializers.BooleanField(help_text="The body says @here (groups and channels).")
    mentions_all = serializers.BooleanField(help_text="The body says @all (groups and channels).")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if isinstance(
            instance, dict
        ):  # a just-sent message (its sender sees its origin), not stored: no reactions
            return {**instance, "reactions": []}
        payload = message_payload(instance)
        if payload["forwarded_from"] is not None:
            visible = self.context.get("visible_origins", set())
            payload["forwarded_from"] = forward_for_reader(
                payload["forwarded_from"], may_see=visible.__contains__
            )
        return {**payload, "reactions": _reaction_summary(instance)}


def _reaction_summary(message: Message) -> list[dict[str, Any]]:
    by_emoji: dict[str, list[int]] = {}
    for reaction in message.reaction_list():
        by_emoji.setdefault(reaction.emoji, []).append(reaction.user_id)
    return [{"emoji": emoji, "count": len(users), "users": users} for emoji, users in by_emoji.items()]


class PinSerializer(serializers.Serializer):
    message = MessageSerializer()
    pinned_by = PublicUserSerializer(allow_null=True, help_text="Null once their account is gone.")
    pinned_at = serializers.DateTimeField()


class HistoryPageSerializer(serializers.Serializer):
    results = MessageSerializer(many=True)
    has_more = serializers.BooleanField(help_text="Older messages exist (newer, after after_seq).")
    has_more_newer = serializers.BooleanField(required=False, help_text="With around: newer messages exist.")


class SearchConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Conversation.Kind.choices)
    title = serializers.CharField()


class SearchHitSerializer(serializers.Serializer):
    message = MessageSerializer()
    conversation = SearchConversationSerializer()
    snippet = serializers.CharField(
        help_text="The matching part of the text as HTML: escaped, with <mark> around matched words only."
    )


class SearchPageSerializer(serializers.Serializer):
    results = SearchHitSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class ThreadPageSerializer(serializers.Serializer):
    root = MessageSerializer()
    results = MessageSerializer(many=True)
    has_more = serializers.BooleanField(help_text="Older replies exist (newer, after after_seq).")
    has_more_newer = serializers.BooleanField(required=False, help_text="With around: newer replies exist.")
    following = serializers.BooleanField(
        allow_null=True, help_text="Whether you follow the thread; null: not decided (replying follows it)."
    )
    last_read_seq = serializers.IntegerField(help_text="Your read marker in this thread.")


class MentionsParamsSerializer(serializers.Serializer):
    cursor = uuid_field(required=False, help_text="next_cursor of the last page.")
    limit = StrictIntegerField(min_value=1, max_value=MENTIONS_MAX_LIMIT, required=False, default=50)


class MentionSerializer(serializers.Serializer):
    message = MessageSerializer(
        help_text="Its `conversation` and `seq` open it: messages/?around=<seq>; a reply in a thread "
        "(`thread_root`) is in its thread: messages/{thread_root}/thread/?around=<seq>."
    )
    conversation = SearchConversationSerializer()


class MentionsPageSerializer(serializers.Serializer):
    results = MentionSerializer(many=True)
    next_cursor = serializers.UUIDField(allow_null=True)


class ThreadReadInputSerializer(serializers.Serializer):
    seq = seq_field(help_text="Read the thread up to this seq: a reply's seq (or 0).")


class FollowedThreadSerializer(serializers.Serializer):
    root = MessageSerializer(help_text="The thread's root, with its summary.")
    unread_count = serializers.IntegerField(help_text="Replies by others after your read marker.")
    last_read_seq = serializers.IntegerField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {
            "root": MessageSerializer(instance.root, context=self.context).data,
            "unread_count": instance.unread_count,
            "last_read_seq": instance.last_read_seq,
        }


class MemberSearchParamsSerializer(serializers.Serializer):
    search = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="Part of a username or display name (none: the first members by username).",
    )


class ConversationMemberSerializer(PublicUserSerializer):
    """A member of a conversation: who they are, and their role there."""

    # A User annotated with `member_role`, as messaging.selectors.member_search and member_get give them.
    role = serializers.ChoiceField(
        source="member_role",
        choices=Membership.Role.choices,
        read_only=True,
        help_text="`owner`, `admin` or `member`: owners change roles, owners and admins manage the rest.",
    )

    class Meta(PublicUserSerializer.Meta):
        fields = [*PublicUserSerializer.Meta.fields, "role"]


class MemberSerializer(ConversationMemberSerializer):
    """A member as the conversation object lists them: who they are, their role there, and their presence."""

    online = serializers.BooleanField(help_text="Has an open socket on any worker right now.")
    status = serializers.ChoiceField(
        choices=["online", "idle", "offline"],
        help_text="online: some page of theirs is visible, focused and in use; idle: connected, none is; "
        "offline: no socket. Changes arrive as `presence` frames.",
    )

    class Meta(ConversationMemberSerializer.Meta):
        fields = [*ConversationMemberSerializer.Meta.fields, "online", "status"]


class ConversationSerializer(serializers.ModelSerializer):
    """A conversation as the requesting member sees it: their role, read marker and unread count included."""

    role = serializers.ChoiceField(
        source="my_role", choices=Membership.Role.choices, read_only=True, help_text="My role here."
    )
    notification_level = serializers.ChoiceField(
        source="my_notification_level",
        choices=Membership.NotificationLevel.choices,
        read_only=True,
        help_text="Your own notification level here (`default`: your level for this kind of conversation).",
    )
    muted = serializers.SerializerMethodField(
        help_text="notification_level is `none` (kept for older clients)."
    )
    unread_mentions = serializers.SerializerMethodField(
        help_text="Messages after your read marker that mention you (by name, @all or @here), not deleted."
    )
    last_read_seq = serializers.IntegerField(source="my_last_read_seq", read_only=True)
    last_seq = serializers.IntegerField(
        read_only=True,
        help_text="The seq of the conversation's newest stored event (message or change): where a client "
        "that loaded it now starts its `sync` cursor (docs/protocol.md).",
    )
    unread_count = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(read_only=True)
    members = serializers.SerializerMethodField()
    last_message = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = [
            "id",
            "kind",
            "title",
            "is_public",
            "pin_policy",
            "created_at",
            "last_activity_at",
            "last_seq",
            "role",
            "all_mention_policy",
            "notification_level",
            "muted",
            "last_read_seq",
            "unread_count",
            "unread_mentions",
            "last_message",
            "members",
            "member_count",
        ]

    def get_unread_count(self, conversation: Conversation) -> int:
        return getattr(conversation, "unread_count", None) or 0

    def get_muted(self, conversation: Conversation) -> bool:
        return getattr(conversation, "my_notification_level", None) == Membership.NotificationLevel.NONE

    def get_unread_mentions(self, conversation: Conversation) -> int:
        return getattr(conversation, "unread_mentions", None) or 0

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, conversation: Conversation) -> list[dict[str, Any]]:
        """Members of direct conversations and groups; channels only give their count."""
        if conversation.kind == Conversation.Kind.CHANNEL:
            return []
        memberships: list[Membership] = list(conversation.memberships.all())
        statuses = self.context.get("statuses", {})
        members = PublicUserSerializer([m.user for m in memberships], many=True).data
        return [
            {**member, "role": membership.role, "online": status != "offline", "status": status}
            for member, membership in zip(members, memberships, strict=True)
            for status in (statuses.get(member["id"], "offline"),)
        ]

    @extend_schema_field(MessageSerializer(allow_null=True))
    def get_last_message(self, conversation: Conversation) -> dict[str, Any] | None:
        message = self.context.get("last_messages", {}).get(conversation.pk)
        return MessageSerializer(message, context=self.context).data if message else None


class ChannelSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)
    is_member = serializers.BooleanField(read_only=True)

    class Meta:
        model = Conversation
        fields = ["id", "title", "member_count", "is_member"]
