"""A web worker's PostgreSQL connections: under ASGI each request's database code runs in a thread of its own,
so the workers pool their connections (DATABASE_POOL, set by scripts/web-server) rather than keeping one per
thread, which would start a PostgreSQL backend for every REST request."""

from tests.stack.conftest import Stack

REQUESTS = 40


def sessions_started(stack: Stack) -> int:
    """PostgreSQL sessions ever started on the stack's database (this query's own included)."""
    database = stack.database_url.rsplit("/", 1)[1]
    rows = stack.query("SELECT sessions FROM pg_stat_database WHERE datname = %s", (database,))
    return int(rows[0][0])


def test_rest_requests_reuse_the_web_workers_database_connections(stack: Stack):
    user = stack.user()
    for _ in range(4):  # both workers have served a request: their pools are open
        assert stack.get("/api/v1/conversations/", token=user.token).status_code == 200
    before = sessions_started(stack)

    for _ in range(REQUESTS):
        assert stack.get("/api/v1/conversations/", token=user.token).status_code == 200

    # then: a handful of sessions at most (the two queries' own, a pool filling up), not one per request
    assert sessions_started(stack) - before <= 8
