"""What a page says about itself (title, description, image), read from its HTML with the standard
library's parser: Open Graph first, then the plain <title> and description."""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from core.text import visible_text

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 400
SITE_NAME_MAX_LENGTH = 100


@dataclass(frozen=True)
class PageSummary:
    title: str
    description: str
    site_name: str
    image_url: str | None  # absolute, http(s) only; fetched through the same safe fetcher


class _HeadParser(HTMLParser):
    META_NAMES = {
        "og:title",
        "og:description",
        "og:image",
        "og:image:url",
        "og:site_name",
        "twitter:title",
        "twitter:description",
        "twitter:image",
        "description",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._done:
            return
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = {name.lower(): value or "" for name, value in attrs}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key in self.META_NAMES and key not in self.meta:
                self.meta[key] = values.get("content", "")
        elif tag == "body":
            self._done = True  # what describes a page is in its head

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self._done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and not self._done:
            self.title += data


def _clip(text: str, limit: int) -> str:
    text = visible_text(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def summarise(html: str, *, base_url: str) -> PageSummary:
    parser = _HeadParser()
    parser.feed(html)
    parser.close()
    meta = parser.meta

    def first(*keys: str) -> str:
        return next((meta[key] for key in keys if meta.get(key, "").strip()), "")

    image = first("og:image", "og:image:url", "twitter:image").strip()
    image_url = urljoin(base_url, image) if image else None
    if image_url and urlsplit(image_url).scheme not in ("http", "https"):
        image_url = None
    return PageSummary(
        title=_clip(first("og:title", "twitter:title") or parser.title, TITLE_MAX_LENGTH),
        description=_clip(
            first("og:description", "twitter:description", "description"), DESCRIPTION_MAX_LENGTH
        ),
        site_name=_clip(first("og:site_name"), SITE_NAME_MAX_LENGTH),
        image_url=image_url,
    )


# <meta charset="…"> or <meta http-equiv="Content-Type" content="…; charset=…">, near the top of a page.
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9._-]+)""", re.IGNORECASE)


def decode(body: bytes, charset: str | None) -> str:
    """The page's text, in the charset its header names, else its <meta>, else UTF-8."""
    if charset is None and (declared := META_CHARSET.search(body[:2048])):
        charset = declared.group(1).decode("ascii")
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")
