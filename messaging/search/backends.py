"""The two search indexes behind one function, `search_page`: PostgreSQL's stored tsvector with its GIN
index, and SQLite's FTS5 table with the porter tokenizer (embedded mode). Both rank best first, page by the
same opaque cursor, and return snippets in one shape: the message's text escaped, with our own <mark>s only.

The index itself is built by migrations 0008 and 0020: on PostgreSQL a generated column `search_vector` (in
the `SEARCH_CONFIG` text search configuration) of a message's words and the words of its files' names, with a
GIN index; on SQLite the FTS5 table and the triggers that keep it (`sqlite_index_ensure`, also run after every
migrate, since SQLite's table rebuilds drop triggers). On both, a trigger rewrites a message's
`attachment_names` whenever a file leaves it (its owner's account erased), so that the file no longer finds
it."""

import base64
import binascii
import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

from messaging.models import Message
from messaging.search.query import ParsedQuery, QueryError, fts5_match, websearch_text

# Our highlight markers inside the database: control characters stripped from the text first, so that after
# escaping only the marks we asked for become <mark>.
MARK_START, MARK_STOP = "\x02", "\x03"
SNIPPET_WORDS = 24
PLAIN_SNIPPET_CHARS = 200
FTS_TABLE = "messaging_message_fts"
SEARCH_CONFIG_NAME = re.compile(r"^[a-z_]+$")


@dataclass(frozen=True)
class Scope:
    """What a search may see: the conversations the membership gate let through (as ids, so that PostgreSQL
    can intersect the text index's bitmap with the conversation index's), and the senders asked for."""

    conversation_ids: tuple[int, ...]
    sender_ids: tuple[int, ...] | None  # None: anyone; () matches nobody


@dataclass(frozen=True)
class Hit:
    message_id: UUID
    score: float
    snippet: str


def search_config() -> str:
    config = str(getattr(settings, "SEARCH_CONFIG", "english"))
    if not SEARCH_CONFIG_NAME.match(config):
        raise ValueError(f"SEARCH_CONFIG must name a text search configuration, not {config!r}")
    return config


# --- cursors: (score, message id) of the last hit shown; the next page starts below it


def cursor_encode(hit: Hit) -> str:
    raw = json.dumps([hit.score, str(hit.message_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[float, UUID]:
    try:
        score, message_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return float(score), UUID(message_id)
    except (ValueError, TypeError, binascii.Error):
        raise QueryError("This cursor is not one a search returned.") from None


# --- the search


def search_page(
    *, query: ParsedQuery, scope: Scope, after: tuple[float, UUID] | None, limit: int
) -> list[Hit]:
    """Up to `limit` hits, best first (newest first among equals), after the cursor `after`."""
    if not scope.conversation_ids or scope.sender_ids == ():
        return []
    where, params = _filters(query, scope)
    page = Page(" AND ".join(where), params, limit)
    if after is not None:
        real = "::real" if connection.vendor == "postgresql" else ""  # ts_rank's type: compared exactly
        page = Page(page.where, params, limit, f"WHERE score < %s{real} OR (score = %s{real} AND id < %s)")
        page.after_params.extend([after[0], after[0], _db_id(after[1])])
    if not query.has_text:
        return _plain_page(page)
    if connection.vendor == "postgresql":
        return _postgresql_page(query, page)
    return _sqlite_page(query, page)


@dataclass
class Page:
    """One page's SQL parts: the matches' conditions, and the condition on (score, id) after the cursor."""

    where: str
    params: list[Any]
    limit: int
    after: str = ""
    after_params: list[Any] = field(default_factory=list)


def _filters(query: ParsedQuery, scope: Scope) -> tuple[list[str], list[Any]]:
    if connection.vendor == "postgresql":
        where = ["m.deleted_at IS NULL", "m.conversation_id = ANY(%s)"]
        params: list[Any] = [list(scope.conversation_ids)]
    else:  # one parameter however many conversations (SQLite limits their number)
        where = ["m.deleted_at IS NULL", "m.conversation_id IN (SELECT value FROM json_each(%s))"]
        params = [json.dumps(scope.conversation_ids)]
    if scope.sender_ids is not None:
        where.append(f"m.sender_id IN ({', '.join(['%s'] * len(scope.sender_ids))})")
        params += scope.sender_ids
    if "file" in query.has:
        where.append("EXISTS (SELECT 1 FROM messaging_message_attachments a WHERE a.message_id = m.id)")
    if query.before is not None:  # before the day began (UTC)
        where.append("m.created_at < %s")
        params.append(_db_time(datetime.combine(query.before, time(), tzinfo=UTC)))
    if query.after is not None:  # after the day ended (UTC)
        where.append("m.created_at >= %s")
        params.append(_db_time(datetime.combine(query.after + timedelta(days=1), time(), tzinfo=UTC)))
    return where, params


def _postgresql_page(query: ParsedQuery, page: Page) -> list[Hit]:
    """Matches through the GIN index, ranked by ts_rank; ts_headline only for the page's rows. The tsquery is
    written out where it is used, not bound once in a CTE: PostgreSQL folds it to a constant at planning and
    estimates from the column's statistics how many rows it matches (a CTE hides it, and a rare word is then
    planned as a common one)."""
    config = search_config()
    tsquery = "websearch_to_tsquery(%s::regconfig, %s)"
    text = [config, websearch_text(query)]
    sql = f"""
        WITH page AS (
            SELECT id, score FROM (
                SELECT m.id, ts_rank(m.search_vector, {tsquery}) AS score
                FROM messaging_message m
                WHERE m.search_vector @@ {tsquery} AND {page.where}
            ) matches {page.after}
            ORDER BY score DESC, id DESC LIMIT %s
        )
        SELECT page.id, page.score, ts_headline(
            %s::regconfig, translate(m.body, %s, ''), {tsquery},
            'StartSel=' || %s || ', StopSel=' || %s
                || ', MaxFragments=2, MaxWords={SNIPPET_WORDS}, MinWords=8'
        )
        FROM page JOIN messaging_message m ON m.id = page.id
        ORDER BY page.score DESC, page.id DESC
    """
    params = [*text, *text, *page.params, *page.after_params, page.limit]
    params += [config, MARK_START + MARK_STOP, *text, MARK_START, MARK_STOP]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(UUID(str(row[0])), float(row[1]), _marked(row[2])) for row in cursor.fetchall()]


_FTS_JOIN = f"""{FTS_TABLE} f JOIN messaging_message m
    ON m.conversation_id = (f.rowid >> 32) AND m.seq = (f.rowid & 4294967295)"""


def _sqlite_page(query: ParsedQuery, page: Page) -> list[Hit]:
    """Matches through the FTS5 index, ranked by bm25 (negated, so that higher is better, as on
    PostgreSQL); FTS5's snippet() only for the page's rows."""
    sql = f"""
        SELECT id, score FROM (
            SELECT m.id, -bm25({FTS_TABLE}) AS score FROM {_FTS_JOIN}
            WHERE {FTS_TABLE} MATCH %s AND {page.where}
        ) {page.after}
        ORDER BY score DESC, id DESC LIMIT %s
    """
    match = fts5_match(query)
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *page.params, *page.after_params, page.limit])
        found = [(UUID(str(row[0])), float(row[1])) for row in cursor.fetchall()]
        if not found:
            return []
        cursor.execute(
            f"""SELECT m.id, snippet({FTS_TABLE}, 0, %s, %s, '…', {SNIPPET_WORDS}) FROM {_FTS_JOIN}
            WHERE {FTS_TABLE} MATCH %s AND m.id IN ({", ".join(["%s"] * len(found))})""",
            [MARK_START, MARK_STOP, match, *(_db_id(message_id) for message_id, _ in found)],
        )
        snippets = {UUID(str(row[0])): _marked(row[1]) for row in cursor.fetchall()}
    return [Hit(message_id, score, snippets.get(message_id, "")) for message_id, score in found]


def _plain_page(page: Page) -> list[Hit]:
    """Filters without words: newest first (all score 0), the snippet the message's beginning."""
    sql = f"""
        SELECT id, score, body FROM (
            SELECT m.id, m.body, 0.0 AS score FROM messaging_message m WHERE {page.where}
        ) matches {page.after}
        ORDER BY id DESC LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*page.params, *page.after_params, page.limit])
        return [Hit(UUID(str(row[0])), 0.0, _plain_snippet(row[2])) for row in cursor.fetchall()]


def _plain_snippet(body: str) -> str:
    text = " ".join(body.split())
    cut = text[:PLAIN_SNIPPET_CHARS] + ("…" if len(text) > PLAIN_SNIPPET_CHARS else "")
    return html.escape(cut.replace(MARK_START, "").replace(MARK_STOP, ""))


def _marked(raw: str) -> str:
    """The database's snippet as HTML: the text escaped, then our markers (and only ours) as <mark>."""
    return html.escape(raw).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")


def _db_id(message_id: UUID) -> Any:
    return Message._meta.pk.get_db_prep_value(message_id, connection)


def _db_time(moment: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


# --- The names of a message's files, one a line: written by storage with the message, emptied when it is
# deleted, and rewritten by these triggers whenever a file leaves a message that is not deleted.

_NAMES_OF = """COALESCE((
    SELECT {aggregate} FROM messaging_message_attachments a JOIN files_storedfile f ON f.id = a.storedfile_id
    WHERE a.message_id = {message}
), '')"""

_POSTGRESQL_NAMES = _NAMES_OF.format(aggregate="string_agg(f.name, chr(10))", message="m.id")
_SQLITE_NAMES = _NAMES_OF.format(aggregate="group_concat(f.name, char(10))", message="old.message_id")

POSTGRESQL_NAMES_FUNCTION = f"""
    CREATE OR REPLACE FUNCTION messaging_message_attachment_names_refresh() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE messaging_message m SET attachment_names = {_POSTGRESQL_NAMES}
        WHERE m.id IN (SELECT DISTINCT message_id FROM gone) AND m.deleted_at IS NULL;
        RETURN NULL;
    END $$"""

POSTGRESQL_NAMES_TRIGGER = """
    CREATE TRIGGER messaging_message_attachment_names AFTER DELETE ON messaging_message_attachments
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
    EXECUTE FUNCTION messaging_message_attachment_names_refresh()"""

# PostgreSQL's parser reads `notes.txt` as one word (a host name) and `report.pdf` likewise: the names are
# cut into their words (letters and digits) first, as SQLite's unicode61 tokenizer cuts them.
_POSTGRESQL_NAMES_DOCUMENT = "body || ' ' || regexp_replace(attachment_names, '[^[:alnum:]]+', ' ', 'g')"


def _has_names(database: BaseDatabaseWrapper) -> bool:
    """Whether the messages table has `attachment_names` yet: migration 0008 builds the index of the words
    alone, before 0020 added the names (and rebuilt it over them)."""
    with database.cursor() as cursor:
        columns = database.introspection.get_table_description(cursor, Message._meta.db_table)
    return any(column.name == "attachment_names" for column in columns)


# --- SQLite's index (PostgreSQL's is a generated column and needs no upkeep but the trigger above)

# An FTS5 row's id is its message's place, conversation and seq (a message's own rowid in SQLite is not
# stable across VACUUM; this is). Seqs stay below 2**32 in one embedded conversation.
_STRIPPED_BODY = "replace(replace({row}.body, char(2), ''), char(3), '')"
_FTS_KEY = "(({row}.conversation_id << 32) + {row}.seq)"


def _sqlite_triggers(names: bool) -> dict[str, str]:
    """The triggers keeping the FTS5 table (with its `names` column, and the names' own trigger on the
    attachment links' table, once the messages have their files' names)."""
    columns, of_new = ("body, names", ", new.attachment_names") if names else ("body", "")
    updates = "body, deleted_at, attachment_names" if names else "body, deleted_at"
    triggers = {
        "messaging_message_fts_insert": f"""
            AFTER INSERT ON messaging_message WHEN new.deleted_at IS NULL BEGIN
                INSERT INTO {FTS_TABLE}(rowid, {columns})
                VALUES ({_FTS_KEY.format(row="new")}, {_STRIPPED_BODY.format(row="new")}{of_new});
            END""",
        "messaging_message_fts_update": f"""
            AFTER UPDATE OF {updates} ON messaging_message BEGIN
                DELETE FROM {FTS_TABLE} WHERE rowid = {_FTS_KEY.format(row="old")};
                INSERT INTO {FTS_TABLE}(rowid, {columns})
                SELECT {_FTS_KEY.format(row="new")}, {_STRIPPED_BODY.format(row="new")}{of_new}
                WHERE new.deleted_at IS NULL;
            END""",
        "messaging_message_fts_delete": f"""
            AFTER DELETE ON messaging_message BEGIN
                DELETE FROM {FTS_TABLE} WHERE rowid = {_FTS_KEY.format(row="old")};
            END""",
    }
    if names:  # on the attachment links' table (which a rebuild of its own drops, as above)
        triggers["messaging_message_attachment_names"] = f"""
            AFTER DELETE ON messaging_message_attachments BEGIN
                UPDATE messaging_message SET attachment_names = {_SQLITE_NAMES}
                WHERE id = old.message_id AND deleted_at IS NULL;
            END"""
    return triggers


SQLITE_TRIGGER_NAMES = tuple(_sqlite_triggers(names=True))


def sqlite_index_ensure(database: BaseDatabaseWrapper) -> None:
    """Create the FTS5 table and its triggers if missing; fill the index from the messages whenever a
    trigger was missing (first run, or a migration that rebuilt the messages table and so dropped them)."""
    names = _has_names(database)
    triggers = _sqlite_triggers(names)
    columns, of_m = ("body, names", ", m.attachment_names") if names else ("body", "")
    with database.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
            "('messaging_message', 'messaging_message_attachments')"
        )
        present = {row[0] for row in cursor.fetchall()} & set(triggers)
        if present == set(triggers):
            return
        # Made anew, and refilled: its columns follow the messages' (_has_names)
        cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        cursor.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({columns}, tokenize='porter unicode61')")
        for name, definition in triggers.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"CREATE TRIGGER {name} {definition}")
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, {columns}) SELECT {_FTS_KEY.format(row='m')}, "
            f"{_STRIPPED_BODY.format(row='m')}{of_m} FROM messaging_message m WHERE m.deleted_at IS NULL"
        )


def postgresql_index_create(database: BaseDatabaseWrapper) -> None:
    """The stored tsvector of a message's words and its files' names (kept by PostgreSQL itself on every
    insert and update) and its GIN index; adding the column computes it for every existing message. Then the
    trigger that rewrites the names when a file leaves a message."""
    names = _has_names(database)
    document = _POSTGRESQL_NAMES_DOCUMENT if names else "body"
    with database.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE messaging_message ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            f"(to_tsvector('{search_config()}'::regconfig, {document})) STORED"
        )
        cursor.execute("CREATE INDEX messaging_message_search ON messaging_message USING gin (search_vector)")
        # A longer list of common words in the column's statistics: a rare word is then estimated as rare,
        # and PostgreSQL reads its few rows from the GIN index alone, not also the conversation index.
        cursor.execute("ALTER TABLE messaging_message ALTER COLUMN search_vector SET STATISTICS 1000")
        if names:
            cursor.execute(POSTGRESQL_NAMES_FUNCTION)
            cursor.execute(
                "DROP TRIGGER IF EXISTS messaging_message_attachment_names ON messaging_message_attachments"
            )
            cursor.execute(POSTGRESQL_NAMES_TRIGGER)


def index_create(database: BaseDatabaseWrapper) -> None:
    if database.vendor == "postgresql":
        postgresql_index_create(database)
    else:
        sqlite_index_ensure(database)


def index_drop(database: BaseDatabaseWrapper) -> None:
    with database.cursor() as cursor:
        if database.vendor == "postgresql":
            cursor.execute("ALTER TABLE messaging_message DROP COLUMN search_vector")  # drops its index too
            cursor.execute(
                "DROP TRIGGER IF EXISTS messaging_message_attachment_names ON messaging_message_attachments"
            )
            return
        for name in SQLITE_TRIGGER_NAMES:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
