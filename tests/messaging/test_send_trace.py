"""The JSON log lines of one send share its trace id, from the socket frame through the persistence task to
the push task it schedules, and none of them holds the message body (docs/operations.md, "Logs")."""

import io
import json
import logging
import uuid
from datetime import timedelta

import pytest

from core import logcontext
from messaging.tasks import persist_messages_task
from notifications.models import PushSubscription
from notifications.tasks import send_messages_push_task
from tests.conftest import take_queued_task
from tests.messaging.factories import acknowledged_payload

pytestmark = pytest.mark.django_db(transaction=True)
BODY = "the secret plan is in the attic"


@pytest.fixture
def log_lines():
    """Every log line of the test, formatted exactly as the console handler of settings.LOGGING does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logcontext.ContextFilter())
    handler.setFormatter(logcontext.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


async def test_the_lines_of_one_send_share_its_trace(connect, ada, bob, team, log_lines, settings):
    # given: bob is offline, so storing the message schedules a push decision
    settings.PUSH_DELAY_SECONDS = 0
    ada_tab = await connect(ada)
    frame = {"type": "message.send", "conversation": team.pk, "body": BODY, "client_id": str(uuid.uuid4())}

    # when: ada sends over her socket
    await ada_tab.send(frame)
    message = (await ada_tab.ack_for(frame["client_id"]))["message"]

    # then: the socket worker's one line for it, its batch's, names the message, its send's trace and socket
    [queued] = [line for line in log_lines() if line["message"] == "persistence batch queued"]
    assert queued["message_ids"] == [message["id"]]
    [trace] = queued["traces"]
    assert trace
    [connection] = queued["connection_ids"]
    assert connection
    # and no line per message: the ack is logged at DEBUG only
    assert not [line for line in log_lines() if line["message"] == "message acked"]


async def test_a_batch_line_tells_which_socket_sent_which_message(connect, ada, team, log_lines):
    # given: ada has two tabs open
    first_tab, second_tab = await connect(ada), await connect(ada)
    sent = []

    # when: each tab sends a message, and the first tab another
    for tab in (first_tab, second_tab, first_tab):
        client_id = str(uuid.uuid4())
        frame = {"type": "message.send", "conversation": team.pk, "body": "hi", "client_id": client_id}
        await tab.send(frame)
        sent.append((await tab.ack_for(frame["client_id"]))["message"]["id"])

    # then: the batch lines pair each message with the socket it came from
    socket_of = {
        message_id: connection
        for line in log_lines()
        if line["message"] == "persistence batch queued"
        for message_id, connection in zip(line["message_ids"], line["connection_ids"], strict=True)
    }
    assert socket_of[sent[0]] == socket_of[sent[2]] != socket_of[sent[1]]
    assert None not in socket_of.values()


def test_the_trace_goes_from_the_persistence_task_to_the_push_tasks(ada, bob, team, log_lines, settings):
    # given: a batch task as the socket worker published it, the trace in its headers; bob could be pushed
    settings.PUSH_DELAY_SECONDS = 0
    PushSubscription.objects.create(user=bob, endpoint="https://push.example/bob", p256dh="k", auth="a")
    message = {**acknowledged_payload(team, ada, seq=1, age=timedelta(0)), "body": BODY}
    trace = logcontext.new_id()

    # when: a worker runs it
    persist_messages_task.apply(args=([message],), headers={logcontext.TRACES_HEADER: {message["id"]: trace}})

    # then: its line names the trace, and the batch's push task carries the trace in its headers
    [stored] = [line for line in log_lines() if line["message"] == "persistence batch stored"]
    assert stored["traces"] == [trace]
    assert stored["task"] == "messaging.persist_messages"
    assert stored["task_id"]
    push_task = take_queued_task("push")  # no worker consumes the push queue in tests
    headers, args = push_task.headers, push_task.decode()[0]
    assert args == [[message["id"]]]
    assert headers[logcontext.TRACES_HEADER] == {message["id"]: trace}

    # when: a worker runs the push task: its line names the same trace
    send_messages_push_task.apply(args=args, headers=headers)
    [decided] = [line for line in log_lines() if line["message"] == "push decided"]
    assert decided["traces"] == [trace]
    assert decided["message_ids"] == [message["id"]]
    assert BODY not in "\n".join(json.dumps(line) for line in log_lines())
