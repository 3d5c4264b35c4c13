"""Text people read: labels (display names, titles, file names), and whether a text shows anything at all."""

import unicodedata


def visible_text(text: str) -> str:
    """`text` in NFC with only what a reader sees: no control or format characters (bidi embeddings,
    overrides and isolates, zero-width spaces and joiners), private-use or unassigned code points, no
    separator but the plain space, and runs of spaces collapsed to one. A label with a right-to-left override
    could otherwise show other people a name or a title it is not."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    return " ".join(text.split())


def has_visible(text: str) -> bool:
    """Whether `text` shows anything: a message of only spaces, zero-width or other format characters would
    arrive as an empty bubble. Stops at the first visible character (it is checked on every send)."""
    return any(unicodedata.category(ch)[0] not in ("C", "Z") for ch in text)
