"""Several test runs on one machine (several checkouts at once): `PARLEY_TEST_SLOT=N` (1-9) moves every fixed
port the tests use by N × 1000 and gives the stack tests their own database, RabbitMQ vhost and Redis server
(127.0.0.1:6400+N, which the run starts). `make test` runs its stack lane in slot 1 and the rest in slot 0,
the default (scripts/test-lanes.sh, which starts slot 1's Redis)."""

import os

SLOT = int(os.environ.get("PARLEY_TEST_SLOT", "0"))
REDIS_PORT = 6379 if SLOT == 0 else 6400 + SLOT


def port(base: int) -> int:
    return base + 1000 * SLOT


def name(base: str) -> str:
    """A database or vhost name of this slot's own."""
    return base if SLOT == 0 else f"{base}_s{SLOT}"


def redis_url(db: int) -> str:
    return f"redis://127.0.0.1:{REDIS_PORT}/{db}"
