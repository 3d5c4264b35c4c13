"""What an admin action says it did, the same in every app's admin."""

from django.contrib import messages
from django.http import HttpRequest


def say_what_was_done(request: HttpRequest, counts: dict[str, int]) -> None:
    """Counts as one line, those that are 0 left out: "Revoked: 2; revoked already: 1." (nothing when every
    count is 0: the action's errors, if any, said why)."""
    summary = "; ".join(f"{what}: {count}" for what, count in counts.items() if count)
    if summary:
        messages.success(request, summary + ".")
