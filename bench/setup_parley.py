"""Users, conversations and access tokens for the Parley bench stack, straight through the ORM.

Run with the bench stack's environment (DATABASE_URL, REDIS_URL, DJANGO_SECRET_KEY, JWT_ACCESS_MINUTES):

    python -m bench.setup_parley --users 2000 --room-size 10 --out /tmp/parley-bench/clients.json

User i (bench00000, bench00001, ...) is a member of conversation i // room_size and of nothing else. The HTTP
login is not used (its throttles would refuse bulk logins); tokens are minted with AccessToken.for_user.
Re-running reuses what exists."""

import argparse
import json
import os
from pathlib import Path

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--room-size", type=int, default=10)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings.base")
    django.setup()
    clients = _ensure(args.users, args.room_size)
    args.out.write_text(json.dumps({"room_size": args.room_size, "clients": clients}))
    print(f"setup: {len(clients)} users in {len(clients) // args.room_size} conversations -> {args.out}")


def _ensure(count: int, room_size: int) -> list[dict]:
    from django.db import transaction
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts import usernames
    from accounts.models import User
    from messaging.delivery.eventlog import initialise_counter
    from messaging.models import Conversation, Membership

    names = [f"bench{i:05d}" for i in range(count)]
    with transaction.atomic():
        existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        new = [
            # bulk_create skips save(), which fills in the look-alike key
            User(username=name, username_key=usernames.lookalike_key(name), display_name=f"Bench {name[5:]}")
            for name in names
            if name not in existing
        ]
        for user in new:
            user.set_unusable_password()  # socket tokens only: nobody logs in as a bench user
        User.objects.bulk_create(new)
        users = {u.username: u for u in User.objects.filter(username__in=names)}
        conversation_ids = []
        for room in range(count // room_size):
            title = f"bench room {room:04d}"
            members = [users[names[i]] for i in range(room * room_size, (room + 1) * room_size)]
            conversation, created = Conversation.objects.get_or_create(
                title=title, kind=Conversation.Kind.GROUP, defaults={"created_by": members[0]}
            )
            if created:
                Membership.objects.bulk_create(
                    [Membership(user=u, conversation=conversation) for u in members], ignore_conflicts=True
                )
            conversation_ids.append(conversation.pk)
    for conversation_id in conversation_ids:
        initialise_counter(conversation_id)
    return [
        {
            "user": users[name].pk,
            "conversation": conversation_ids[i // room_size],
            "token": str(AccessToken.for_user(users[name])),
        }
        for i, name in enumerate(names[: len(conversation_ids) * room_size])
    ]


if __name__ == "__main__":
    main()
