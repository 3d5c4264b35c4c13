"""What makes two usernames the same name to a reader (issue #21, 6).

- `canonical`: NFKC, then case folded, so `ＡＬＩＣＥ`, `Alice` and `alice` are one name.
- `lookalike_key`: the canonical name with every character that looks like an ASCII letter or digit written
  as that letter (a Cyrillic `а` as `a`, `0` as `o`), from the Unicode confusables data that
  confusable_homoglyphs ships: two names with one key look alike, and only the first may have it.
- `check_scripts`: one script per name, or a combination Unicode TR 39 calls highly restrictive (Latin with
  Han and kana, Bopomofo or Hangul); a Cyrillic letter among Latin ones is refused outright.
- `is_reserved`: names that look like `deleted-…`, which only erasure gives (accounts.services.privacy).

Login and the per-username rate limits find an account by its key, so every spelling of a name that looks like
it counts against that one account."""

import string
import unicodedata
from functools import cache

from confusable_homoglyphs import categories, confusables
from django.core.exceptions import ValidationError

ASCII_LETTERS = frozenset(string.ascii_letters)
# Scripts that may share one name (TR 39 "highly restrictive"); any single script may stand alone.
SCRIPT_COMBINATIONS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
NEUTRAL_SCRIPTS = frozenset({"COMMON", "INHERITED"})  # digits, punctuation, combining marks
RESERVED_PREFIX = "deleted-"  # erased accounts are renamed `deleted-<id>`, their bots `deleted-bot-<id>`


def canonical(name: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold()).strip()


@cache
def _as_ascii(char: str) -> str:
    """The ASCII letter `char` looks like (case folded), or `char` itself."""
    if char in ASCII_LETTERS:
        return char
    found = confusables.is_confusable(char, preferred_aliases=["latin"])
    for homoglyph in found[0]["homoglyphs"] if found else []:
        if homoglyph["c"] in ASCII_LETTERS:
            return homoglyph["c"].casefold()
    return char


def lookalike_key(name: str) -> str:
    return "".join(_as_ascii(char) for char in canonical(name))


def is_reserved(name: str) -> bool:
    """Whether the name looks like one erasure gives (`ｄeleted-5` and `de1eted-5` look like `deleted-5`)."""
    return lookalike_key(name).startswith(lookalike_key(RESERVED_PREFIX))


def check_scripts(name: str) -> None:
    scripts = {categories.alias(char) for char in name} - NEUTRAL_SCRIPTS
    if len(scripts) > 1 and not any(scripts <= allowed for allowed in SCRIPT_COMBINATIONS):
        raise ValidationError(
            {"username": "Use the letters of one script (Latin may go with Chinese, Japanese or Korean)."}
        )
