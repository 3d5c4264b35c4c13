"""Parley's own Prometheus metrics (docs/operations.md, "Metrics"). Defining them here keeps every name in
one place; updating one is a counter increment or a histogram observation in memory: no I/O, so they are
safe on the socket hot path.

Web workers serve their own process's values at /metrics. Celery workers serve theirs on
CELERY_METRICS_PORT; under the prefork pool, with PROMETHEUS_MULTIPROC_DIR set, the values of every pool
process are summed (prometheus_client's multiprocess mode). Figures of the whole installation (queue
depths, presence keys) are read when /metrics is scraped, by the collector in operations.monitoring."""

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)
BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500)

# --- Web workers: sockets and the send path.
OPEN_SOCKETS = Gauge(
    "parley_open_sockets", "Authenticated WebSockets open on this worker.", multiprocess_mode="livesum"
)
MESSAGE_SENDS = Counter(
    "parley_message_sends",
    "message_send calls by outcome: new, duplicate (a retried client_id), conflict, unavailable.",
    ["outcome"],
)
MESSAGE_ACKS = Counter(
    "parley_message_acks", "message.ack frames sent, by outcome: new or duplicate.", ["outcome"]
)
# Each labelled series of the send path, made once (labels() takes a lock and a look-up: ~0.9 µs a send).
SENDS_NEW = MESSAGE_SENDS.labels("new")
ACKS_BY_NEW = {True: MESSAGE_ACKS.labels("new"), False: MESSAGE_ACKS.labels("duplicate")}
ACK_LATENCY = Histogram(
    "parley_ack_latency_seconds",
    "From a message.send frame's arrival to its message.ack (includes the broker confirm).",
    buckets=FAST_BUCKETS,
)
FANOUT_LATENCY = Histogram(
    "parley_fanout_latency_seconds",
    "From a message's broadcast on the sending worker to its arrival at each worker with sockets in it.",
    buckets=FAST_BUCKETS,
)
SLOW_SOCKET_CLOSES = Counter(
    "parley_slow_socket_closes",
    "Sockets closed (4408) because their client fell too far behind, by reason: bytes or age.",
    ["reason"],
)
ERROR_FRAMES = Counter("parley_error_frames", "error frames sent to clients, by code.", ["code"])
SYNC_REPLAYS = Counter("parley_sync_replays", "sync frames answered.")
SYNC_REPLAYED_MESSAGES = Counter(
    "parley_sync_replayed_messages", "Messages replayed in answer to sync frames."
)

# --- Celery workers: persistence and push.
PERSISTENCE_BATCH_SIZE = Histogram(
    "parley_persistence_batch_size", "Messages per persistence task.", buckets=BATCH_BUCKETS
)
PERSISTENCE_LAG = Histogram(
    "parley_persistence_lag_seconds",
    "From a message's acknowledgement (its created_at) to its row being committed.",
    buckets=LAG_BUCKETS,
)
MESSAGES_STORED = Counter("parley_messages_stored", "Messages written to the database (new rows).")
PERSISTENCE_RETRIES = Counter(
    "parley_persistence_retries", "Persistence tasks retried after a database error."
)
DEAD_LETTERED = Counter(
    "parley_dead_lettered_messages",
    "Messages parked on the dead-letter queue, by reason: unstorable or retries_exhausted.",
    ["reason"],
)
LINK_PREVIEW_FETCHES = Counter(
    "parley_link_preview_fetches",
    "Link preview fetches (cache misses) by outcome: found, nothing (no title or description), refused.",
    ["outcome"],
)
PUSH_DELIVERIES = Counter(
    "parley_push_deliveries",
    "Web push attempts by outcome: sent, gone, failed, retry, busy, done, gave_up.",
    ["outcome"],
)
DEAD_LETTERS_REQUEUED = Counter(
    "parley_dead_letters_requeued", "Dead-lettered persistence tasks moved back to the persistence queue."
)


def observe_ack(*, new: bool, started: float) -> None:
    """`started` is the time.perf_counter() of the frame's arrival."""
    ACKS_BY_NEW[new].inc()
    ACK_LATENCY.observe(time.perf_counter() - started)


def observe_fanout(sent_at: float | None) -> None:
    """`sent_at` is the wall-clock time the sending worker broadcast the event (clocks kept by NTP)."""
    if sent_at is not None:
        FANOUT_LATENCY.observe(max(0.0, time.time() - sent_at))


def observe_stored(messages: Sequence[Mapping[str, Any]], *, stored: int) -> None:
    """A batch was committed: `stored` rows were new. Lag is observed for each message of a batch that wrote
    anything (a batch redelivered after its rows were committed writes nothing and observes nothing)."""
    PERSISTENCE_BATCH_SIZE.observe(len(messages))
    if not stored:
        return
    MESSAGES_STORED.inc(stored)
    now = time.time()
    for message in messages:
        PERSISTENCE_LAG.observe(max(0.0, now - datetime.fromisoformat(message["created_at"]).timestamp()))
