"""Resolving a socket send's mentions without a query per message: each worker keeps, per conversation, who
its members are by lower-cased username, which of them manage it, and its all_mention_policy — loaded by one
query (messaging.selectors.mention_directory) the first time a body mentions someone there, and again once it
is DIRECTORY_TTL_SECONDS old, or when a mention names someone it does not know (a member who just joined),
at most every MISS_RELOAD_SECONDS.

What this trades: for up to DIRECTORY_TTL_SECONDS after a change, a send on this worker may see the
conversation as it was — a just-removed member still listed in `mentions` (the persistence task writes
Mention rows only for current members, so they are never notified), or @all allowed or refused by the
policy or role it replaced. REST and webhook sends, and edits, resolve against the database every time
(messaging.selectors.mentions_resolve)."""

import time
from collections import OrderedDict
from dataclasses import dataclass

from channels.db import database_sync_to_async

from messaging import selectors
from messaging.events import NO_MENTIONS, MentionsPayload
from messaging.mentions import may_mention, mentioned_usernames
from messaging.selectors import MentionDirectory

DIRECTORY_TTL_SECONDS = 10.0
MISS_RELOAD_SECONDS = 1.0
MAX_CONVERSATIONS = 10_000


@dataclass(frozen=True)
class _Entry:
    directory: MentionDirectory
    loaded_at: float


class MentionDirectories:
    """This worker's directories, the least recently used dropped past MAX_CONVERSATIONS."""

    def __init__(self) -> None:
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self.loads = 0  # how many queries it made (for tests and benchmarks)

    async def resolve(self, *, sender_id: int, conversation_id: int, body: str) -> MentionsPayload:
        """As mentions_resolve, from the directory: raises Refused("mention_not_allowed")."""
        if not may_mention(body):
            return NO_MENTIONS
        names = mentioned_usernames(body)
        entry = self._entries.get(conversation_id)
        now = time.monotonic()
        if entry is None or now - entry.loaded_at > DIRECTORY_TTL_SECONDS:
            entry = await self._load(conversation_id)
        elif not _knows(entry.directory, sender_id, names) and now - entry.loaded_at > MISS_RELOAD_SECONDS:
            entry = await self._load(conversation_id)
        self._entries.move_to_end(conversation_id)
        return selectors.mentions_in(entry.directory, sender_id=sender_id, names=names)

    def forget(self, conversation_id: int) -> None:
        self._entries.pop(conversation_id, None)

    async def _load(self, conversation_id: int) -> _Entry:
        directory = await database_sync_to_async(selectors.mention_directory)(conversation_id=conversation_id)
        self.loads += 1
        entry = _Entry(directory, time.monotonic())
        self._entries[conversation_id] = entry
        while len(self._entries) > MAX_CONVERSATIONS:
            self._entries.popitem(last=False)
        return entry


def _knows(directory: MentionDirectory, sender_id: int, names: set[str]) -> bool:
    return sender_id in directory.members and all(
        n in directory.by_name or n in directory.words for n in names
    )


_directories = MentionDirectories()


def mention_directories() -> MentionDirectories:
    return _directories
