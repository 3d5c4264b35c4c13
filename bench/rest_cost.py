"""The CPU a history page and a conversation list cost a web worker, against the form they replaced.

    .venv/bin/python -m bench.rest_cost [--rounds 8] [--requests 25] [--out bench/results/rest-cost-….json]

It builds its own database, `parley_rest_bench` (dropped and recreated; the server is the one DATABASE_URL
names, default the machine's), by the real migrations: 10 people in 5 group conversations of 60 messages
each, every third message with a reaction and every fifth with an attachment. One member asks for a
history page (`GET /api/v1/conversations/<id>/messages/`, 50 messages) and for the conversation list
(`GET /api/v1/conversations/`), in process through Django's handler and middleware (no server, no
network), with the REST rate limits lifted for this client only. CPU is the process's (time.process_time,
PostgreSQL's own not counted), per request, over `--requests` requests a round; the current form and the
baseline alternate for `--rounds` rounds, and the medians and their ratio are printed.

The baseline: a page's attachments and reactions prefetched into Django's related managers, as before
2026-12-04, instead of into plain lists (messaging.models.PREFETCHED_ATTACHMENTS). Both forms must answer
the same JSON, which the run checks."""

import argparse
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import django
import psycopg

DATABASE = "parley_rest_bench"
PEOPLE, CONVERSATIONS, MESSAGES = 10, 5, 60


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--requests", type=int, default=25, help="per form and round")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/parley").rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    os.environ["DATABASE_URL"] = f"{server}/{DATABASE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings.base")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    result = measure(*_people_and_messages(), rounds=args.rounds, requests=args.requests)
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


def _people_and_messages() -> tuple[Any, int]:
    from accounts.models import User
    from files.models import StoredFile
    from messaging.models import Conversation, Membership, Message, Reaction

    people = [User.objects.create_user(username=f"person{i}", password=None) for i in range(PEOPLE)]
    first = None
    for c in range(CONVERSATIONS):
        conversation = Conversation.objects.create(kind="group", title=f"Room {c}", created_by=people[0])
        first = first or conversation.pk
        for person in people:
            Membership.objects.create(user=person, conversation=conversation)
        for seq in range(1, MESSAGES + 1):
            message = Message.objects.create(
                conversation=conversation,
                sender=people[seq % PEOPLE],
                seq=seq,
                body="x" * 100,
                client_id=uuid.uuid4(),
                created_at=datetime.now(tz=UTC),
            )
            if seq % 3 == 0:
                Reaction.objects.create(message=message, user=people[(seq + 1) % PEOPLE], emoji="👍")
            if seq % 5 == 0:
                attached = StoredFile.objects.create(
                    owner=message.sender,
                    name="notes.txt",
                    content_type="text/plain",
                    size=12,
                    storage_key=f"bench/{c}/{seq}",
                    status=StoredFile.Status.READY,
                )
                message.attachments.add(attached)
        Conversation.objects.filter(pk=conversation.pk).update(last_seq=MESSAGES)
    assert first is not None  # noqa: S101 - CONVERSATIONS > 0
    return people[0], first


def _into_managers(messages: Any) -> Any:
    """The baseline: attachments and reactions prefetched into the related managers."""
    from django.db.models import Prefetch

    from messaging.models import Reaction

    return messages.select_related("sender").prefetch_related(
        "attachments", Prefetch("reactions", queryset=Reaction.objects.order_by("created_at", "pk"))
    )


def measure(reader: Any, conversation_id: int, *, rounds: int, requests: int) -> dict[str, Any]:
    from django.test import override_settings
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    from messaging import selectors

    client = APIClient(HTTP_HOST="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(reader)}")
    forms: dict[str, Callable[..., Any]] = {"lists": selectors._with_details, "managers": _into_managers}
    paths = {
        "history": f"/api/v1/conversations/{conversation_id}/messages/",
        "conversation_list": "/api/v1/conversations/",
    }
    unthrottled = {**django.conf.settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    result: dict[str, Any] = {"rounds": rounds, "requests_per_round": requests}
    with override_settings(REST_FRAMEWORK=unthrottled):
        for kind, path in paths.items():
            cpu_ms: dict[str, list[float]] = {form: [] for form in forms}
            answers = {}
            for _ in range(rounds):
                for form, with_details in forms.items():
                    selectors._with_details = with_details
                    response = client.get(path)
                    assert response.status_code == 200, response.content  # noqa: S101
                    answers[form] = response.json()
                    started = time.process_time()
                    for _ in range(requests):
                        client.get(path)
                    cpu_ms[form].append((time.process_time() - started) * 1000 / requests)
            selectors._with_details = forms["lists"]
            assert answers["lists"] == answers["managers"], f"{kind}: the two forms answer differently"  # noqa: S101
            medians = {form: round(statistics.median(values), 2) for form, values in cpu_ms.items()}
            result[kind] = {
                "cpu_ms_per_request_median": medians,
                "ratio": round(medians["lists"] / medians["managers"], 2),
                "cpu_ms_per_round": {form: [round(v, 2) for v in values] for form, values in cpu_ms.items()},
            }
    return result


if __name__ == "__main__":
    main()
