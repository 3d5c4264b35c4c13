"""Does deciding "present or away" by looking sockets (issue #25) cost more than deciding by open sockets did?
An A/B in one run, the two interleaved round by round (A first in even rounds, B first in odd ones), so that
whatever else the machine is doing weighs on both alike.

    .venv/bin/python -m bench.presence_ab [--rounds 400] [--members 50] [--out bench/results/presence-ab.json]

A: the rule before — present means some socket open (`online_user_ids`: a ZCOUNT per member on `presence:`).
B: the rule now — present means some socket looking (`looking_user_ids`: a ZCOUNT per member on `looking:`).

Measured against this machine's PostgreSQL and Redis (REDIS_URL; DATABASE_URL names the server, the database
is `parley_presence_bench`, dropped and recreated by the real migrations):
1. the presence lookup alone, for 10, 50 and 500 members (one pipelined round trip to Redis);
2. the whole push decision of one stored message (`messages_push_decide`: the reads, the presence lookup,
   the decision and delivery rows, rolled back after each run so every run decides afresh) in a group of
   `--members` members who all have a push subscription: once where the two rules agree (half the members
   looking, half offline: the same pushes, so the ratio is the rule's own cost), and once where they differ
   (a quarter looking, a quarter with a hidden page, half offline: B pushes the hidden quarter too, and
   writes their delivery rows);
3. what an `activity` frame that changes looking costs its socket (one Redis round trip), beside a connect.
The send path itself (socket frame → ack → fan-out) does no presence work in either rule. What mentions add to
a send is timed apart (4.): from the socket worker's directory of the members (no query once loaded), its
load, and the REST path's targeted query.
Prints medians (µs) and the ratio B/A."""

import argparse
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django

from bench.servers import postgres_server, recreate_database

DATABASE = "parley_presence_bench"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    server = postgres_server()
    recreate_database(server, DATABASE)
    os.environ["DATABASE_URL"] = f"{server}/{DATABASE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings.base")
    django.setup()
    from django.core.management import call_command

    from core.redis import redis_enabled

    if not redis_enabled():
        raise SystemExit("REDIS_URL is needed: the A/B is of the Redis presence store")
    call_command("migrate", verbosity=0)
    results: dict[str, Any] = {"rounds": args.rounds, "members": args.members}
    people = _people(500 + args.members)
    mixed, same = people[:500], people[500:]
    _present(mixed, hidden=True)
    _present(same, hidden=False)
    try:
        results["lookup"] = {str(n): _ab_lookup(mixed[:n], args.rounds) for n in (10, 50, 500)}
        results["decision_same_outcome"] = _ab_decision(same, args.rounds)
        results["decision"] = _ab_decision(mixed[: args.members], args.rounds)
        results["activity"] = _activity_cost(people[0], args.rounds)
        results["send_path"] = _send_path_mentions(same, args.rounds)
    finally:
        _leave(people)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    _print(results)


def _people(count: int) -> list[int]:
    from accounts.models import User

    users = User.objects.bulk_create(
        [User(username=f"p{n}", username_key=f"p{n}", email=f"p{n}@example.com") for n in range(count)]
    )
    return [user.pk for user in users]


def _present(people: list[int], *, hidden: bool) -> None:
    """Half of `people` get a socket; with `hidden`, half of those say their page is hidden (so the two rules
    differ: a quarter looking, a quarter idle, half offline); without, all of them look (the rules agree)."""
    from realtime.presence import presence_store

    store = presence_store()
    for n, user_id in enumerate(people):
        if n % 4 in (0, 1):
            store.connect(user_id, f"bench-{user_id}")
        if hidden and n % 4 == 1:
            store.set_looking(user_id, f"bench-{user_id}", False)


def _leave(people: list[int]) -> None:
    from realtime.presence import presence_store

    store = presence_store()
    for user_id in people:
        store.disconnect(user_id, f"bench-{user_id}")


def _ab(a: Callable[[], object], b: Callable[[], object], rounds: int) -> dict[str, float]:
    """Medians (µs) of A and B run alternately, and B/A."""
    for _ in range(max(10, rounds // 20)):  # warm both
        a()
        b()
    times: dict[str, list[float]] = {"a": [], "b": []}
    for n in range(rounds):
        order = (("a", a), ("b", b)) if n % 2 == 0 else (("b", b), ("a", a))
        for name, run in order:
            started = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - started) * 1e6)
    a_median, b_median = statistics.median(times["a"]), statistics.median(times["b"])
    return {
        "a_median_us": round(a_median, 1),
        "b_median_us": round(b_median, 1),
        "a_p95_us": round(statistics.quantiles(times["a"], n=20)[-1], 1),
        "b_p95_us": round(statistics.quantiles(times["b"], n=20)[-1], 1),
        "ratio_b_over_a": round(b_median / a_median, 3),
    }


def _ab_lookup(people: list[int], rounds: int) -> dict[str, float]:
    from realtime.presence import looking_user_ids, online_user_ids

    assert looking_user_ids(people) < online_user_ids(people)  # noqa: S101 - the rules differ here
    return _ab(lambda: online_user_ids(people), lambda: looking_user_ids(people), rounds)


def _ab_decision(people: list[int], rounds: int) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from messaging.models import Conversation, Membership, Message
    from notifications import services
    from notifications.models import PushDelivery, PushSubscription
    from realtime.presence import looking_user_ids, online_user_ids

    conversation = Conversation.objects.create(kind="group", title="bench")
    Membership.objects.bulk_create([Membership(user_id=u, conversation=conversation) for u in people])
    PushSubscription.objects.bulk_create(
        [
            PushSubscription(
                user_id=u, endpoint=f"https://push.example.com/{u}", p256dh="k" * 87, auth="a" * 22
            )
            for u in people
        ]
    )
    message = Message.objects.create(
        conversation=conversation,
        sender_id=people[0],
        seq=1,
        body="Shall we ship it today?",
        client_id=uuid.uuid4(),
        created_at=timezone.now(),
    )
    pushed: dict[str, int] = {}

    def decide(rule: str) -> Callable[[], None]:
        def run() -> None:
            services.looking_user_ids = online_user_ids if rule == "a" else looking_user_ids
            try:
                with transaction.atomic():
                    services.messages_push_decide(message_ids=[message.pk])
                    pushed[rule] = PushDelivery.objects.filter(message=message).count()
                    transaction.set_rollback(True)  # decided afresh next time
            finally:
                services.looking_user_ids = looking_user_ids

        return run

    figures: dict[str, Any] = dict(_ab(decide("a"), decide("b"), rounds))
    figures["pushed_a"], figures["pushed_b"] = pushed["a"], pushed["b"]
    return figures


def _activity_cost(user_id: int, rounds: int) -> dict[str, float]:
    """One socket's connect (A) against its `activity` frame that flips looking (B): each one round trip."""
    from realtime.presence import presence_store

    store = presence_store()
    state = {"looking": True}

    def connect() -> None:
        store.connect(user_id, "bench-activity")

    def flip() -> None:
        state["looking"] = not state["looking"]
        store.set_looking(user_id, "bench-activity", state["looking"])

    try:
        return _ab(connect, flip, rounds)
    finally:
        store.disconnect(user_id, "bench-activity")


def _send_path_mentions(people: list[int], rounds: int) -> dict[str, dict[str, float]]:
    """What mentions add to a send before it is reserved (medians and p95s, µs): on the socket path, from the
    worker's directory (messaging.delivery.mentions) for a body without "@" and for one naming a member; the
    directory's load (one query, all members); and the REST path's targeted query."""
    import asyncio

    from messaging.delivery.mentions import MentionDirectories
    from messaging.models import Conversation
    from messaging.selectors import mention_directory, mentions_resolve

    conversation = Conversation.objects.filter(title="bench").order_by("pk").first()
    assert conversation is not None  # noqa: S101 - made by the decision A/B
    plain = "Shall we ship the new logo today, or wait for the review on Monday?"
    naming = f"Shall we ship it today, @p{500 + 2}?"
    sender = people[0]
    directories = MentionDirectories()

    async def socket_path(body: str) -> list[float]:
        await directories.resolve(sender_id=sender, conversation_id=conversation.pk, body=naming)  # load
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            await directories.resolve(sender_id=sender, conversation_id=conversation.pk, body=body)
            times.append((time.perf_counter() - started) * 1e6)
        return times

    def timed(run: Callable[[], object]) -> list[float]:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1e6)
        return times

    figures = {
        "socket, a body without @": asyncio.run(socket_path(plain)),
        "socket, a body naming a member (directory loaded)": asyncio.run(socket_path(naming)),
        "the directory's load (one query, 50 members)": timed(
            lambda: mention_directory(conversation_id=conversation.pk)
        ),
        "REST, a body naming a member (one targeted query)": timed(
            lambda: mentions_resolve(sender_id=sender, conversation_id=conversation.pk, body=naming)
        ),
    }
    assert directories.loads <= 2  # noqa: S101 - the socket path loaded once per run, not per message
    return {
        what: {
            "median_us": round(statistics.median(times), 1),
            "p95_us": round(statistics.quantiles(times, n=20)[-1], 1),
        }
        for what, times in figures.items()
    }


def _print(results: dict[str, Any]) -> None:
    print(f"rounds: {results['rounds']} (A and B alternately), medians in µs")
    print("| what | A: open sockets | B: looking sockets | B/A |")
    print("|---|---|---|---|")
    for n, figures in results["lookup"].items():
        print(_row(f"presence lookup, {n} members", figures))
    for key, what in (("decision_same_outcome", "rules agree"), ("decision", "a quarter hidden")):
        decision = results[key]
        label = (
            f"push decision of one message, {results['members']} members, {what} "
            f"(pushes: A {decision['pushed_a']}, B {decision['pushed_b']})"
        )
        print(_row(label, decision))
    print(_row("A: a socket's connect; B: its activity frame flipping looking", results["activity"]))
    print("\n| a send's mention step | median µs | p95 µs |\n|---|---|---|")
    for what, figures in results["send_path"].items():
        print(f"| {what} | {figures['median_us']} | {figures['p95_us']} |")


def _row(label: str, figures: dict[str, float]) -> str:
    return (
        f"| {label} | {figures['a_median_us']} (p95 {figures['a_p95_us']}) | "
        f"{figures['b_median_us']} (p95 {figures['b_p95_us']}) | {figures['ratio_b_over_a']} |"
    )


if __name__ == "__main__":
    main()
