"""Converting a task queue between classic and quorum on the real RabbitMQ (this slot's vhost): RabbitMQ
refuses to redeclare a queue with another type, so an installation that ran classic queues converts them,
keeping every message that waits in them."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from kombu import Connection, Producer, Queue

from chatproject.celery import app as celery_app
from core.queues import convert, declared_as, typed_queue
from tests.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue_name():
    name = f"test.convert.{uuid.uuid4().hex[:8]}"
    yield name
    with celery_app.connection_for_write() as connection:
        typed_queue(name, "quorum").bind(connection.default_channel).delete()
        typed_queue(name, "quorum").exchange.bind(connection.default_channel).delete()


def publish(connection, name: str, bodies: list[str]) -> None:
    producer = Producer(connection.default_channel)
    for body in bodies:
        producer.publish(body, exchange="", routing_key=name, delivery_mode=2, retry=False)


def drain(connection, queue: Queue) -> list:
    bound, bodies = queue.bind(connection.default_channel), []
    while (message := bound.get(no_ack=True, accept=None)) is not None:
        bodies.append(message.body.decode() if isinstance(message.body, bytes) else message.body)
    return bodies


def test_a_classic_queue_becomes_a_quorum_queue_with_its_messages(queue_name):
    classic, quorum = typed_queue(queue_name, "classic"), typed_queue(queue_name, "quorum")
    with celery_app.connection_for_write() as connection:
        classic.bind(connection.default_channel).declare()
        publish(connection, queue_name, ["one", "two", "three"])
        assert declared_as(connection, quorum) is False  # what a plain declare would refuse

        assert convert(connection, quorum) == 3

        assert declared_as(connection, quorum) is True
        assert drain(connection, quorum) == ["one", "two", "three"]
        assert convert(connection, quorum) == 0  # already as declared: nothing to do


def test_a_missing_queue_is_left_to_be_declared(queue_name):
    with celery_app.connection_for_write() as connection:
        assert declared_as(connection, typed_queue(queue_name, "quorum")) is None
        assert convert(connection, typed_queue(queue_name, "quorum")) == 0


def test_the_command_leaves_the_task_queues_as_configured(capsys):
    call_command("convert_queues")
    out = capsys.readouterr().out
    assert "persistence: quorum" in out
    assert "push: quorum" in out


@pytest.mark.parametrize(
    ("wrong", "refusal"),
    [
        # nothing listens there (a typo, a broker not started yet)
        ("port", "cannot reach the broker at 127.0.0.1:{port}"),
        # these were tracebacks (amqp's AccessRefused, NotAllowed)
        ("password", "the broker at {address} refused the user and password of CELERY_BROKER_URL"),
        ("vhost", "the broker at {address} refused the virtual host of CELERY_BROKER_URL"),
    ],
)
def test_a_broker_it_cannot_use_is_named_in_one_line_without_its_password(wrong, refusal):
    # given: the test broker with one thing wrong
    broker, port = Connection(settings.CELERY_BROKER_URL), free_port()
    address = f"{broker.hostname}:{broker.port}"
    url = {
        "port": f"amqp://parley:s3cret-pw@127.0.0.1:{port}//",
        "password": f"amqp://{broker.userid}:s3cret-pw@{address}/{broker.virtual_host}",
        "vhost": f"amqp://{broker.userid}:{broker.password}@{address}/no-such-vhost",
    }[wrong]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "chatproject.settings.test", "CELERY_BROKER_URL": url}

    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "convert_queues"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # then: a CommandError naming where it tried, not a traceback
    assert result.returncode == 1
    assert f"CommandError: {refusal.format(port=port, address=address)}" in result.stderr
    assert "Traceback" not in result.stderr
    assert "s3cret-pw" not in result.stderr
