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

from channels.db import database_sync_to_async

from core.remembered import Remembered
from messaging import selectors
from messaging.events import NO_MENTIONS, MentionsPayload
from messaging.mentions import may_mention, mentioned_usernames
from messaging.selectors import MentionDirectory

DIRECTORY_TTL_SECONDS = 10.0
MISS_RELOAD_SECONDS = 1.0
MAX_CONVERSATIONS = 10_000


class MentionDirectories:
    """This worker's directories, the least recently used dropped past MAX_CONVERSATIONS."""

    def __init__(self) -> None:
        self._directories: Remembered[int, MentionDirectory] = Remembered(MAX_CONVERSATIONS)
        self.loads = 0  # how many queries it made (for tests and benchmarks)

    async def resolve(self, *, sender_id: int, conversation_id: int, body: str) -> MentionsPayload:
        """As mentions_resolve, from the directory: raises Refused("mention_not_allowed")."""
        if not may_mention(body):
            return NO_MENTIONS
        names = mentioned_usernames(body)
        known = self._directories.get(conversation_id)
        if known is None or _reload_due(known, sender_id, names):
            directory = await self._load(conversation_id)
        else:
            directory = known[0]
        return selectors.mentions_in(directory, sender_id=sender_id, names=names)

    def forget(self, conversation_id: int) -> None:
        self._directories.forget(conversation_id)

    async def _load(self, conversation_id: int) -> MentionDirectory:
        directory = await database_sync_to_async(selectors.mention_directory)(conversation_id=conversation_id)
        self.loads += 1
        self._directories.remember(conversation_id, directory)
        return directory


def _reload_due(known: tuple[MentionDirectory, float], sender_id: int, names: set[str]) -> bool:
    directory, seconds_ago = known
    if seconds_ago > DIRECTORY_TTL_SECONDS:
        return True
    return seconds_ago > MISS_RELOAD_SECONDS and not _knows(directory, sender_id, names)


def _knows(directory: MentionDirectory, sender_id: int, names: set[str]) -> bool:
    return sender_id in directory.members and all(
        n in directory.by_name or n in directory.words for n in names
    )


_directories = MentionDirectories()


def mention_directories() -> MentionDirectories:
    return _directories
