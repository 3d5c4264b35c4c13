"""A PostgreSQL that refuses every new message with the row in its error's DETAIL line, as it words a CHECK
constraint's refusal ("Failing row contains (...)", the body included), but raised by a trigger: not an
IntegrityError, so the persistence task retries the batch instead of dead-lettering the message at once."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

FIRST_LINE = "new messages are refused for now"
ERROR = f"ProgrammingError: {FIRST_LINE}"  # what describe_error says of it (P0001 is a ProgrammingError)

REFUSE = f"""
CREATE FUNCTION test_refuse_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{FIRST_LINE}' USING DETAIL = format('Failing row contains %s.', NEW);
END $$;
CREATE TRIGGER test_refuse_message BEFORE INSERT ON messaging_message
    FOR EACH ROW EXECUTE FUNCTION test_refuse_message();
"""
ACCEPT = """
DROP TRIGGER IF EXISTS test_refuse_message ON messaging_message;
DROP FUNCTION IF EXISTS test_refuse_message();
"""


def accept_messages() -> None:
    with connection.cursor() as cursor:
        cursor.execute(ACCEPT)


@contextmanager
def messages_refused() -> Iterator[None]:
    """Refused, to every process on the database, until the block ends or accept_messages() is called."""
    with connection.cursor() as cursor:
        cursor.execute(REFUSE)
    try:
        yield
    finally:
        accept_messages()
