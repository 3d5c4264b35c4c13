"""The search box's language, parsed by one pure function: words, "quoted phrases", `OR`, `-excluded`
(PostgreSQL's websearch syntax), and the filters `from:@user`, `in:#channel`, `has:file`, `before:DATE`,
`after:DATE`. Both backends take the parsed form, never the raw text, so they read a query alike."""

import re
from dataclasses import dataclass, field
from datetime import date

FILTER = re.compile(r"(?i)^(from|in|has|before|after):(\S+)$")
TOKEN = re.compile(r'-?"[^"]*"?|\S+')
WORD_CHARACTER = re.compile(r"\w")
HAS_VALUES = ("file",)


class QueryError(ValueError):
    """A query that cannot be run as written (a bad date, nothing but exclusions); the message says why."""


@dataclass(frozen=True)
class Term:
    """A word or a phrase (several words in order); `excluded` for `-word`."""

    words: tuple[str, ...]
    excluded: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """All of `groups` must match; a group matches when any of its terms does (`a b OR c` is a AND (b OR c),
    as in websearch_to_tsquery). Excluded terms are groups of one."""

    groups: tuple[tuple[Term, ...], ...] = ()
    senders: tuple[str, ...] = ()
    conversations: tuple[str, ...] = ()
    has: frozenset[str] = field(default_factory=frozenset)
    before: date | None = None
    after: date | None = None

    @property
    def has_text(self) -> bool:
        return bool(self.groups)


def parse(text: str) -> ParsedQuery:
    """The query `text` means. Raises QueryError for a filter with a bad value, or for text that only
    excludes or holds neither a word nor a filter (a search has to look for something)."""
    groups: list[list[Term]] = []
    filters: dict[str, list[str]] = {"from": [], "in": [], "has": [], "before": [], "after": []}
    join_next = False  # the previous token was OR
    for token in TOKEN.findall(text):
        if (match := FILTER.match(token)) is not None:
            filters[match.group(1).lower()].append(match.group(2))
            join_next = False
            continue
        if token == "OR":  # noqa: S105  (an operator, not a password)
            join_next = bool(groups)
            continue
        term = _term(token)
        if term is None:
            continue
        if join_next and not term.excluded and not groups[-1][0].excluded:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    if groups and all(group[0].excluded for group in groups):
        raise QueryError("Add a word to look for: a search cannot only exclude words.")
    query = ParsedQuery(
        groups=tuple(tuple(group) for group in groups),
        senders=tuple(value.lstrip("@") for value in filters["from"] if value.lstrip("@")),
        conversations=tuple(value.lstrip("#") for value in filters["in"] if value.lstrip("#")),
        has=frozenset(_has(value) for value in filters["has"]),
        before=_last_date("before", filters["before"]),
        after=_last_date("after", filters["after"]),
    )
    if query == ParsedQuery():  # `*`, `OR`, `((`, `""`: it would have matched every message
        raise QueryError("Add a word or a filter to look for: punctuation and operators alone find nothing.")
    return query


def _term(token: str) -> Term | None:
    excluded = token.startswith("-") and len(token) > 1
    body = token[1:] if excluded else token
    words = tuple(word for word in re.split(r"[^\w]+", body.strip('"')) if WORD_CHARACTER.search(word))
    return Term(words=words, excluded=excluded) if words else None


def _has(value: str) -> str:
    if value.lower() not in HAS_VALUES:
        raise QueryError(f"has: takes one of {', '.join(HAS_VALUES)}.")
    return value.lower()


def _last_date(name: str, values: list[str]) -> date | None:
    if not values:
        return None
    try:
        return date.fromisoformat(values[-1])
    except ValueError:
        raise QueryError(f"{name}: takes a date, YYYY-MM-DD.") from None


def websearch_text(query: ParsedQuery) -> str:
    """The text part in PostgreSQL's websearch syntax (for websearch_to_tsquery)."""
    return " ".join(" OR ".join(_websearch_term(term) for term in group) for group in query.groups)


def _websearch_term(term: Term) -> str:
    words = " ".join(term.words)
    quoted = f'"{words}"' if len(term.words) > 1 else words
    return f"-{quoted}" if term.excluded else quoted


def fts5_match(query: ParsedQuery) -> str:
    """The text part as an FTS5 MATCH expression. Every word is a quoted FTS5 string, so no input is FTS5
    syntax; FTS5's NOT is binary, so exclusions follow the terms that must match."""
    included = [group for group in query.groups if not group[0].excluded]
    excluded = [group[0] for group in query.groups if group[0].excluded]
    expression = " AND ".join(
        "(" + " OR ".join(_fts5_string(term) for term in group) + ")" for group in included
    )
    return "".join([expression, *(f" NOT {_fts5_string(term)}" for term in excluded)])


def _fts5_string(term: Term) -> str:
    return '"' + " ".join(term.words) + '"'  # words are \w runs: nothing inside needs escaping
