"""Every write of messaging (docs/architecture.md): conversations and memberships, messages after they are
sent (edits, reactions, pins, forwards), storage of acknowledged messages, and incoming webhooks. The send
itself is messaging.delivery.send."""

from messaging.services.conversations import (
    conversation_create,
    conversation_leave,
    conversation_update,
    member_add,
    member_remove,
    member_role_set,
    read_mark,
)
from messaging.services.memberships import channel_join
from messaging.services.messages import (
    BLOCKED,
    SentMessage,
    message_delete,
    message_edit,
    message_files_release,
    message_forward,
    message_post,
    message_previews_set,
    message_soft_delete,
    reaction_add,
    reaction_remove,
)
from messaging.services.pins import message_pin, message_unpin
from messaging.services.retention import deleted_messages_files_release, messages_purge_expired
from messaging.services.storage import messages_store
from messaging.services.threads import thread_follow_set, thread_read_mark, threads_refresh

__all__ = [
    "BLOCKED",
    "SentMessage",
    "channel_join",
    "conversation_create",
    "conversation_leave",
    "conversation_update",
    "deleted_messages_files_release",
    "member_add",
    "member_remove",
    "member_role_set",
    "message_delete",
    "message_edit",
    "message_files_release",
    "message_forward",
    "message_pin",
    "message_post",
    "message_previews_set",
    "message_soft_delete",
    "message_unpin",
    "messages_purge_expired",
    "messages_store",
    "reaction_add",
    "reaction_remove",
    "read_mark",
    "thread_follow_set",
    "thread_read_mark",
    "threads_refresh",
]
