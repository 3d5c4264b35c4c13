"""URLs in a message body, as the previews app unfurls them."""

import re

from django.conf import settings

# http(s) URLs as people paste them; trailing punctuation belongs to the sentence, not the URL.
URL_PATTERN = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
TRAILING = ".,;:!?)]}*_~"
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def urls_in(body: str) -> list[str]:
    """The distinct URLs of `body` outside code, in order, at most PREVIEW_MAX_PER_MESSAGE."""
    found: list[str] = []
    for match in URL_PATTERN.finditer(CODE.sub(" ", body)):
        url = _trim(match.group(0))
        if url not in found:
            found.append(url)
    return found[: settings.PREVIEW_MAX_PER_MESSAGE]


def _trim(url: str) -> str:
    """Without the sentence's punctuation after it; a closing bracket stays if the URL opened it
    (https://en.wikipedia.org/wiki/Mercury_(planet))."""
    while url and url[-1] in TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url
