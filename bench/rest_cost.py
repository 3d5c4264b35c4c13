"""What a history page and a conversation list cost, in a web worker's CPU and in latency, for two versions
of Parley, interleaved round by round (A first in even rounds, B first in odd ones) so that whatever else the
machine does weighs on both.

    .venv/bin/python -m bench.rest_cost --base HEAD~1 [--ref ''] [--rounds 6] [--requests 25] \
        [--out bench/results/rest-cost-….json]

Each version (`--ref ''` is the work tree; otherwise a `git archive` export of the ref) builds a database of
its own, `parley_rest_bench_a` / `_b` (dropped and recreated; the server is the one DATABASE_URL names,
default the machine's), by its own migrations (a change may change the schema): 10 people in 5 group
conversations of 60 messages each, every third message with a reaction and every fifth with an attachment,
and two of them `--long-messages` more (100,000 by default: a team's busy channel after a year), which the
reader has read; then ANALYZE, as autovacuum would have by the time anyone reads them. Then, in a Python
process of its own, one member asks for a history page (`GET /api/v1/conversations/<id>/messages/`, 50
messages) and for the conversation list (`GET /api/v1/conversations/`) `--requests` times each, in process
through Django's handler and middleware (no server, no network), with the REST rate limits lifted for this
client only. Per request: the process's CPU (time.process_time: the web worker's share; PostgreSQL's own is
not in it) and the wall time (the request's latency, PostgreSQL's work included), medians over the rounds,
the ratio of the two medians, the median of each round's own ratio (its two runs back to back), and whether
the two versions answered the same JSON."""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DATABASE = "parley_rest_bench"
PEOPLE, CONVERSATIONS, MESSAGES, LONG_CONVERSATIONS = 10, 5, 60, 2
KINDS = ("history", "conversation_list")
START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def child(reader_id: int, conversation_id: int, requests: int) -> None:
    """Runs inside the measured tree (its modules first on PYTHONPATH); prints one JSON line."""
    import django

    django.setup()
    from django.conf import settings
    from django.test import override_settings
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    client = APIClient(HTTP_HOST="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(User.objects.get(pk=reader_id))}")
    paths = {
        "history": f"/api/v1/conversations/{conversation_id}/messages/",
        "conversation_list": "/api/v1/conversations/",
    }
    result: dict[str, Any] = {}
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}):
        for kind, path in paths.items():
            response = client.get(path)  # the warm-up, and the answer compared between versions
            assert response.status_code == 200, response.content  # noqa: S101
            result[f"{kind}_answer"] = hashlib.sha256(response.content).hexdigest()
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(requests):
                client.get(path)
            result[f"{kind}_cpu_ms"] = (time.process_time() - cpu) * 1000 / requests
            result[f"{kind}_wall_ms"] = (time.perf_counter() - wall) * 1000 / requests
    print(json.dumps(result))


def build(long_messages: int) -> None:
    """Runs inside a measured tree, on its own database: its migrations, the data, ANALYZE (as autovacuum
    would have by the time anyone reads them); prints the reader's id and the conversation whose history
    is read."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    reader, conversation = _people_and_messages(long_messages)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(json.dumps({"reader": reader, "conversation": conversation}))


def _people_and_messages(long_messages: int) -> tuple[int, int]:
    """The same rows in every version's database, ids and times included, so that answers compare."""
    from accounts.models import User
    from files.models import StoredFile
    from messaging.models import Conversation, Membership, Message, Reaction

    ids = random.Random(0)
    people = [User.objects.create_user(username=f"person{i}", password=None) for i in range(PEOPLE)]
    conversations = []
    for c in range(CONVERSATIONS):
        conversation = Conversation.objects.create(kind="group", title=f"Room {c}", created_by=people[0])
        conversations.append(conversation)
        for person in people:
            Membership.objects.create(user=person, conversation=conversation)
        for seq in range(1, MESSAGES + 1):
            message = Message.objects.create(**_message(conversation, people[seq % PEOPLE], seq, ids))
            if seq % 3 == 0:
                Reaction.objects.create(message=message, user=people[(seq + 1) % PEOPLE], emoji="👍")
            if seq % 5 == 0:
                attached = StoredFile.objects.create(
                    id=_uuid(ids),
                    owner=message.sender,
                    name="notes.txt",
                    content_type="text/plain",
                    size=12,
                    storage_key=f"bench/{c}/{seq}",
                    status=StoredFile.Status.READY,
                )
                message.attachments.add(attached)
        _set_last(conversation, MESSAGES)
    for conversation in conversations[1 : 1 + LONG_CONVERSATIONS]:
        for first in range(MESSAGES + 1, MESSAGES + long_messages + 1, 5000):
            last = min(first + 5000, MESSAGES + long_messages + 1)
            Message.objects.bulk_create(
                Message(**_message(conversation, people[1], seq, ids)) for seq in range(first, last)
            )
        _set_last(conversation, MESSAGES + long_messages)
        # The reader keeps up with them: an unread count costs a row per unread message, by design.
        Membership.objects.filter(user=people[0], conversation=conversation).update(
            last_read_seq=MESSAGES + long_messages
        )
    return int(people[0].pk), int(conversations[0].pk)


def _message(conversation: Any, sender: Any, seq: int, ids: random.Random) -> dict[str, Any]:
    return {
        "id": _uuid(ids),
        "conversation": conversation,
        "sender": sender,
        "seq": seq,
        "body": "x" * 100,
        "client_id": _uuid(ids),
        "created_at": START + timedelta(seconds=seq),
    }


def _set_last(conversation: Any, seq: int) -> None:
    from messaging.models import Conversation

    Conversation.objects.filter(pk=conversation.pk).update(
        last_seq=seq, created_at=START, last_activity_at=START + timedelta(seconds=seq)
    )


def _uuid(ids: random.Random) -> uuid.UUID:
    return uuid.UUID(int=ids.getrandbits(128), version=4)


class Version:
    """One version's tree and database (each migrated by its own tree: a change may change the schema)."""

    def __init__(self, tree: Path, database_url: str) -> None:
        self.tree = tree
        self.database_url = database_url
        self.reader = self.conversation = 0

    def build(self, long_messages: int) -> None:
        from bench.servers import recreate_database  # the parent's: a child's tree may be older

        recreate_database(*self.database_url.rsplit("/", 1))
        built = self._run("--build", "--long-messages", str(long_messages))
        self.reader, self.conversation = built["reader"], built["conversation"]

    def measure(self, requests: int) -> dict[str, Any]:
        return self._run("--child", "--reader", str(self.reader), "--conversation", str(self.conversation),
                         "--requests", str(requests))  # fmt: skip

    def _run(self, *arguments: str) -> dict[str, Any]:
        env = {
            "DJANGO_SETTINGS_MODULE": "chatproject.settings.base",
            "DATABASE_URL": self.database_url,
            "PARLEY_DATA_DIR": str(self.tree / ".rest-cost-data"),
            "LOG_LEVEL": "WARNING",
        }
        from bench.servers import run_in_tree  # not in a child: an older tree's bench/ may lack it

        return run_in_tree(__file__, self.tree, list(arguments), env)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", default="HEAD~1", help="version A (a git ref)")
    parser.add_argument("--ref", default="", help="version B: a git ref, or '' for the work tree")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=25, help="of each kind, per version and round")
    parser.add_argument("--long-messages", type=int, default=100_000, help="in two of the conversations")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--reader", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--conversation", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.reader, args.conversation, args.requests)
        return
    if args.build:
        build(args.long_messages)
        return

    from bench.servers import ab_sources, alternating, log, postgres_server  # the parent's: see Version

    server = postgres_server()
    versions = {
        name: Version(tree, f"{server}/{DATABASE}_{name.lower()}")
        for name, tree in ab_sources(args.base, args.ref, "rest-cost").items()
    }
    for version in versions.values():
        version.build(args.long_messages)
    runs: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    for round_number, name in alternating(args.rounds):
        run = versions[name].measure(args.requests)
        runs[name].append(run)
        figures = ", ".join(
            f"{kind} {run[f'{kind}_cpu_ms']:.1f} ms of CPU ({run[f'{kind}_wall_ms']:.1f} ms wall)"
            for kind in KINDS
        )
        log(f"round {round_number} {name}: {figures} per request")
    result: dict[str, Any] = {
        "base": args.base,
        "ref": args.ref or "work tree",
        "rounds": args.rounds,
        "requests_per_run": args.requests,
        "long_messages": args.long_messages,
    }
    for kind in KINDS:
        result[kind] = {"same_answer": runs["A"][0][f"{kind}_answer"] == runs["B"][0][f"{kind}_answer"]}
        for figure in ("cpu_ms", "wall_ms"):
            key = f"{kind}_{figure}"
            medians = {name: statistics.median(run[key] for run in runs[name]) for name in runs}
            paired = statistics.median(b[key] / a[key] for a, b in zip(runs["A"], runs["B"], strict=True))
            result[kind][figure] = {
                "per_request_median": {name: round(value, 2) for name, value in medians.items()},
                "ratio_b_to_a": round(medians["B"] / medians["A"], 2),
                "ratio_within_rounds": round(paired, 2),
                "per_run": {name: [round(run[key], 2) for run in runs[name]] for name in runs},
            }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
