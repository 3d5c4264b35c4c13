"""Message search over a million messages (issue #25): p50/p95 of the search selector with the GIN index, the
search it replaced as the baseline in the same run, and the EXPLAIN of the indexed query.

    .venv/bin/python -m bench.search [--messages 1000000] [--searches 300] [--out bench/results/search-….json]

It builds its own database, `parley_search_bench` (dropped and recreated; the server is the one
DATABASE_URL names, default the machine's), by the real migrations, then COPYs in the messages: 500
conversations of 10 members among 1,000 people; bodies of 6–20 words drawn Zipf-like (s=1.1) from a
30,000-word synthetic vocabulary, spread over a year. The searcher is a member of 50 conversations (about
100,000 messages). The GIN index is dropped for the load and built after it (its build time is reported).

The searches, as the search box sends them (page of 20, the selector end to end: parse, gate, hits,
snippets, the messages with their details):
- `word`: one word of rank 100–30,000 (uniformly by rank: mostly rare words, some in ~1 % of messages);
- `two words`: two words of rank 100–3,000 (both must match);
- `phrase`: two words that follow each other in a stored message, quoted;
- `from:`: a word of rank 100–3,000 and `from:@` a member of the searcher's conversations;
- `common word`: one of the ten commonest words (in ~5–25 % of all messages), the worst case, reported apart.
The baseline is the search this replaced: to_tsvector computed per row at query time ('simple'
configuration), newest first, and the new query with the GIN index disabled (`enable_bitmapscan=off`)."""

import argparse
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import django

from bench.servers import postgres_server, recreate_database

DATABASE = "parley_search_bench"
PEOPLE, CONVERSATIONS, MEMBERS, SEARCHER_IN = 1_000, 500, 10, 50
VOCABULARY, ZIPF_S = 30_000, 1.1
PAGE = 20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=300, help="per kind, with the index")
    parser.add_argument("--baseline-searches", type=int, default=20, help="per baseline (they are slow)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="search the database a previous run built (no build: searches only)",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    server = postgres_server()
    if not args.reuse:
        recreate_database(server, DATABASE)
    os.environ["DATABASE_URL"] = f"{server}/{DATABASE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings.base")
    django.setup()
    from django.core.management import call_command

    from accounts.models import User

    rng = random.Random(25)
    vocabulary = _vocabulary(rng)
    results: dict[str, Any] = {"messages": args.messages}
    if not args.reuse:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        _people_and_conversations(rng)
        results.update(_load_messages(rng, vocabulary, args.messages))
        results["build_seconds"] = round(time.perf_counter() - started, 1)
    people = list(User.objects.order_by("pk"))
    searcher = people[0]
    rng = random.Random(2025)  # the same searches whether built now or reused
    queries = _queries(rng, vocabulary, people, args.searches)
    results["indexed"] = {kind: _time_searches(searcher, texts) for kind, texts in queries.items()}
    every = [text for kind, texts in queries.items() if kind != "common word" for text in texts]
    results["indexed_all"] = _time_searches(searcher, every, already_warm=True)
    sample = rng.sample(every, args.baseline_searches)
    results["baseline_old_search"] = _time(lambda text: _old_search(searcher, text), sample)
    results["baseline_no_gin"] = _time(lambda text: _search(searcher, text), sample, no_gin=True)
    results["explain"] = _explain(searcher, queries["word"][0])
    results["explain_query"] = queries["word"][0]
    print(json.dumps(results, indent=2))
    out = args.out or Path("bench/results") / f"search-{datetime.now(tz=UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))


def _vocabulary(rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < VOCABULARY:
        syllables = rng.randint(2, 4)
        words.add("".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(syllables)))
    return sorted(words, key=lambda w: (len(w), w))  # rank 0 is the commonest


def _people_and_conversations(rng: random.Random) -> None:
    from accounts import usernames
    from accounts.models import User
    from messaging.models import Conversation, Membership

    names = [f"person{i:04d}" for i in range(PEOPLE)]
    User.objects.bulk_create(
        [User(username=n, username_key=usernames.lookalike_key(n), password="!") for n in names]  # noqa: S106
    )
    people = list(User.objects.order_by("pk"))
    conversations = Conversation.objects.bulk_create(
        [Conversation(kind="group", title=f"room {i}") for i in range(CONVERSATIONS)]
    )
    searcher = people[0]
    memberships = []
    for index, conversation in enumerate(conversations):
        members = set(rng.sample(people[1:], MEMBERS - 1))
        members.add(searcher if index < SEARCHER_IN else rng.choice(people[1:]))
        memberships += [Membership(user=u, conversation=conversation) for u in members]
    Membership.objects.bulk_create(memberships, ignore_conflicts=True)


COPIED_COLUMNS = ("id", "conversation_id", "sender_id", "seq", "body", "client_id", "created_at")


def _column_defaults() -> dict[str, Any]:
    """The other NOT NULL columns, by their model defaults (COPY bypasses the ORM's defaults)."""
    from messaging.models import Message

    return {
        field.attname: _copy_value(field)
        for field in Message._meta.concrete_fields
        if field.attname not in COPIED_COLUMNS and not field.null and field.has_default()
    }


def _copy_value(field: Any) -> Any:
    from django.db.models import JSONField

    default = field.get_default()
    return json.dumps(default) if isinstance(field, JSONField) else default


def _load_messages(rng: random.Random, vocabulary: list[str], count: int) -> dict[str, Any]:
    from django.db import connection

    from messaging.models import Membership

    weights = [1 / (rank + 1) ** ZIPF_S for rank in range(len(vocabulary))]
    cumulative = list(_accumulate(weights))
    members: dict[int, list[int]] = {}
    for conversation_id, user_id in Membership.objects.values_list("conversation_id", "user_id"):
        members.setdefault(conversation_id, []).append(user_id)
    conversation_ids = sorted(members)
    start = datetime(2025, 12, 1, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX messaging_message_search")
    copied = time.perf_counter()
    seqs = dict.fromkeys(conversation_ids, 0)
    raw = connection.connection
    defaults = _column_defaults()
    columns = ", ".join([*COPIED_COLUMNS, *defaults])
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY messaging_message ({columns}) FROM STDIN") as copy,
    ):
        for n in range(count):
            conversation_id = conversation_ids[n % len(conversation_ids)]
            seqs[conversation_id] += 1
            words = rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(6, 20))
            at = start + timedelta(seconds=n * 365 * 86400 // count)
            copy.write_row(
                (
                    uuid.uuid4(),
                    conversation_id,
                    rng.choice(members[conversation_id]),
                    seqs[conversation_id],
                    " ".join(words),
                    uuid.uuid4(),
                    at,
                    *defaults.values(),
                )
            )
    raw.commit()
    copy_seconds = time.perf_counter() - copied
    indexed = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("CREATE INDEX messaging_message_search ON messaging_message USING gin (search_vector)")
        cursor.execute("ANALYZE")
        cursor.execute("SELECT pg_size_pretty(pg_relation_size('messaging_message_search'))")
        size = cursor.fetchone()[0]
    return {
        "copy_seconds": round(copy_seconds, 1),
        "gin_build_seconds": round(time.perf_counter() - indexed, 1),
        "gin_size": size,
    }


def _accumulate(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _queries(rng: random.Random, vocabulary: list[str], people: list[Any], n: int) -> dict[str, list[str]]:
    from messaging.models import Message

    stored = list(
        Message.objects.filter(conversation_id__lte=SEARCHER_IN).values_list("body", flat=True)[:5000]
    )
    phrases = []
    for body in rng.sample(stored, n):
        words = body.split()
        at = rng.randrange(len(words) - 1)
        phrases.append(f'"{words[at]} {words[at + 1]}"')
    senders = [p.username for p in people[1:200]]
    return {
        "word": [vocabulary[rng.randrange(100, VOCABULARY)] for _ in range(n)],
        "two words": [
            f"{vocabulary[rng.randrange(100, 3000)]} {vocabulary[rng.randrange(100, 3000)]}" for _ in range(n)
        ],
        "phrase": phrases,
        "from:": [f"{vocabulary[rng.randrange(100, 3000)]} from:@{rng.choice(senders)}" for _ in range(n)],
        "common word": [vocabulary[rng.randrange(0, 10)] for _ in range(max(n // 5, 10))],
    }


def _search(searcher: Any, text: str) -> int:
    from messaging import selectors

    page = selectors.message_search(user=searcher, text=text, include_public=False, cursor=None, limit=PAGE)
    return len(page.hits)


def _old_search(searcher: Any, text: str) -> int:
    """The search this replaced (messaging.selectors before issue #25), a page of 20."""
    from django.contrib.postgres.search import SearchQuery, SearchVector

    from messaging.models import Message

    messages = Message.objects.filter(conversation__memberships__user=searcher, deleted_at__isnull=True)
    messages = messages.annotate(search=SearchVector("body", config="simple")).filter(
        search=SearchQuery(text, config="simple", search_type="websearch")
    )
    return len(list(messages.order_by("-created_at")[:PAGE]))


def _time_searches(searcher: Any, texts: list[str], already_warm: bool = False) -> dict[str, Any]:
    if not already_warm:
        for text in texts[:10]:
            _search(searcher, text)
    return _time(lambda text: _search(searcher, text), texts)


def _time(search: Callable[[str], int], texts: list[str], no_gin: bool = False) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SET enable_bitmapscan = {'off' if no_gin else 'on'}")
    timings, hits = [], []
    for text in texts:
        began = time.perf_counter()
        hits.append(search(text))
        timings.append((time.perf_counter() - began) * 1000)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_bitmapscan = on")
    timings.sort()
    return {
        "n": len(timings),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(0, round(len(timings) * 0.95) - 1)], 1),
        "max_ms": round(timings[-1], 1),
        "mean_hits": round(statistics.mean(hits), 1),
    }


def _explain(searcher: Any, text: str) -> str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _search(searcher, text)
    hits_query = next(q["sql"] for q in captured.captured_queries if "websearch_to_tsquery" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {hits_query}")
        return "\n".join(row[0] for row in cursor.fetchall())


if __name__ == "__main__":
    main()
