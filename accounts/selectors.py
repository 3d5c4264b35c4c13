"""Every read of accounts."""

from django.db.models import Q, QuerySet

from accounts.models import User


def user_search(*, query: str) -> QuerySet[User]:
    """Active users whose username or display name contains `query` (plain text, no patterns)."""
    users = User.objects.filter(is_active=True).order_by("username")
    query = query.strip()
    if query:
        users = users.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    return users
