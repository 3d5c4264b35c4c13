"""RabbitMQ queue declarations, and converting a queue declared with another type (classic or quorum)
without losing what waits in it. RabbitMQ refuses to redeclare a queue with another `x-queue-type`
(PRECONDITION_FAILED), so an installation that ran classic queues converts them once (operations'
`convert_queues` command)."""

from typing import Any

from kombu import Connection, Exchange, Producer, Queue

CONVERTING_SUFFIX = ".converting"
# What RABBITMQ_QUEUE_TYPE may say (the settings refuse anything else): RabbitMQ's replicated queues, or the
# old kind. Any other `x-queue-type` would only be refused by RabbitMQ when a worker first declares it.
QUEUE_TYPES = ("quorum", "classic")


def typed_queue(name: str, queue_type: str, arguments: dict[str, Any] | None = None) -> Queue:
    """A durable queue of `queue_type`. A quorum queue is bound to a topic exchange of its own name (routing
    key: its name), which Celery's native delayed delivery needs for countdowns; a classic one stays as it
    always was (the default exchange)."""
    if queue_type == "classic":
        return Queue(name, durable=True, queue_arguments=arguments)
    return Queue(
        name,
        Exchange(name, type="topic", durable=True),
        routing_key=name,
        durable=True,
        queue_arguments={**(arguments or {}), "x-queue-type": queue_type},
    )


def declared_as(connection: Connection, queue: Queue) -> bool | None:
    """Whether `queue` exists as declared (True), with other arguments or type (False), or not at all
    (None). Each probe runs on a channel of its own: a refused declare closes its channel."""
    with connection.channel() as channel:
        try:
            queue.bind(channel).queue_declare(passive=True)
        except connection.channel_errors:
            return None
    with connection.channel() as channel:
        try:
            queue.bind(channel).queue_declare()
        except connection.channel_errors:
            return False
    return True


def convert(connection: Connection, queue: Queue) -> int:
    """Make `queue` exist as declared, moving the messages of a queue of the same name declared otherwise
    through a temporary queue (`<name>.converting`, of the new type) into it. Publishers that publish
    while the queue is replaced are refused (mandatory publishes: unroutable) and retry. Returns how many
    messages moved."""
    if declared_as(connection, queue) is not False:
        return 0
    holding = typed_queue(queue.name + CONVERTING_SUFFIX, _type_of(queue))
    with connection.channel() as channel:
        holding.bind(channel).declare()
        old = Queue(queue.name, no_declare=True).bind(channel)
        moved = _move_all(channel, old, holding.name)
        while old.delete(if_empty=True) is None and not _deleted(connection, queue.name):
            moved += _move_all(channel, old, holding.name)  # published meanwhile
    with connection.channel() as channel:
        queue.bind(channel).declare()
        _move_all(channel, holding.bind(channel), queue.name)
        holding.bind(channel).delete()
        if holding.exchange.name:
            holding.exchange.bind(channel).delete()
    return moved


def _type_of(queue: Queue) -> str:
    return str((queue.queue_arguments or {}).get("x-queue-type", "classic"))


def _deleted(connection: Connection, name: str) -> bool:
    with connection.channel() as channel:
        try:
            Queue(name).bind(channel).queue_declare(passive=True)
        except connection.channel_errors:
            return True
    return False


def _move_all(channel: Any, source: Queue, target: str) -> int:
    """Move every message of `source` to the queue `target` (the default exchange), each acknowledged on
    the source only once the broker confirmed its copy (the channel's publisher confirms)."""
    producer = Producer(channel)
    moved = 0
    while (message := source.get(no_ack=False, accept=None)) is not None:
        producer.publish(
            message.body,
            exchange="",
            routing_key=target,
            headers=message.headers,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            delivery_mode=2,
            correlation_id=(message.properties or {}).get("correlation_id"),
            retry=False,
        )
        message.ack()
        moved += 1
    return moved
