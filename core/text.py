"""Text people read as a label: display names, conversation titles, file names."""

import unicodedata


def visible_text(text: str) -> str:
    """`text` in NFC with only what a reader sees: no control or format characters (bidi embeddings,
    overrides and isolates, zero-width spaces and joiners), private-use or unassigned code points, no
    separator but the plain space, and runs of spaces collapsed to one. A label with a right-to-left override
    could otherwise show other people a name or a title it is not."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    return " ".join(text.split())
