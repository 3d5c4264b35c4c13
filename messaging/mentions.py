"""@username, @here and @all in a message body (the send path resolves them: messaging.delivery.send)."""

import re

# A username is [\w.@+-]+ (see accounts' registration); a mention starts at an "@" that does not
# follow a word character, so "ada@example.com" mentions nobody.
_MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]+)")
_TRAILING = ".@+-"


def mentioned_usernames(body: str) -> set[str]:
    """The lower-cased usernames a body mentions. "@ada." at a sentence's end mentions "ada", so each
    mention also counts without its trailing punctuation; callers match these against real usernames."""
    names: set[str] = set()
    for match in _MENTION.finditer(body):
        name = match.group(1).lower()
        names.add(name)
        if stripped := name.rstrip(_TRAILING):
            names.add(stripped)
    return names


# In groups and channels these address members rather than one person (docs/protocol.md, "Mentions").
HERE = "here"
ALL = "all"


def may_mention(body: str) -> bool:
    """Whether a body could mention anyone at all: the send path resolves mentions only then."""
    return "@" in body and bool(_MENTION.search(body))
