"""Conversation roles (owner, admin, member): owners change them over REST, the only owner cannot step down
before appointing another, every change (and the hand-over when the last owner leaves) is an event of the
conversation, and every list of members says each one's role."""

import pytest
from django.core.exceptions import PermissionDenied

from messaging import services
from messaging.models import ConversationEvent, Membership
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db

NOT_FOUND = {"error": {"code": "not_found", "detail": "No such conversation.", "fields": {}}}


def member_url(conversation_id: int, user_id: int) -> str:
    return f"/api/v1/conversations/{conversation_id}/members/{user_id}/"


def role_of(user, conversation) -> str:
    return Membership.objects.get(user=user, conversation=conversation).role


def role_events(conversation) -> list[tuple[int | None, str]]:
    """The conversation's role changes, in order: (whose, to what)."""
    events = ConversationEvent.objects.filter(conversation=conversation, kind="member.updated").order_by(
        "seq"
    )
    return [(event.user_id, event.data["role"]) for event in events]


def owner_of(conversation, user) -> Membership:
    return Membership.objects.select_related("conversation").get(user=user, conversation=conversation)


# --- changing a role


def test_the_owner_makes_a_member_admin_who_then_manages_the_conversation(as_user, ada, bob, team):
    # when Ada, the owner, makes Bob an admin
    response = as_user(ada).patch(member_url(team.pk, bob.pk), {"role": "admin"}, format="json")
    # then the answer is Bob as a member, with his new role
    assert response.status_code == 200
    assert response.json() == {
        "id": bob.pk,
        "username": "bob",
        "display_name": bob.display_name,
        "avatar_url": None,
        "role": "admin",
    }
    # and members hear of it as an event of the conversation
    assert role_events(team) == [(bob.pk, "admin")]
    # and Bob now does what admins do: rename it
    renamed = as_user(bob).patch(f"/api/v1/conversations/{team.pk}/", {"title": "Bob's"}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["role"] == "admin"


def test_an_owner_appoints_another_owner_then_steps_down(as_user, ada, bob, team):
    assert (
        as_user(ada).patch(member_url(team.pk, bob.pk), {"role": "owner"}, format="json").status_code == 200
    )
    response = as_user(ada).patch(member_url(team.pk, ada.pk), {"role": "member"}, format="json")
    assert response.status_code == 200
    assert (role_of(ada, team), role_of(bob, team)) == ("member", "owner")
    assert role_events(team) == [(bob.pk, "owner"), (ada.pk, "member")]


def test_the_only_owner_cannot_step_down_and_is_told_to_appoint_another_first(as_user, ada, bob, team):
    Membership.objects.filter(user=bob, conversation=team).update(role="admin")
    response = as_user(ada).patch(member_url(team.pk, ada.pk), {"role": "admin"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "detail": "You are the only owner: appoint another owner first, then step down.",
        "fields": {"role": ["You are the only owner: appoint another owner first, then step down."]},
    }
    assert role_of(ada, team) == "owner"
    assert role_events(team) == []


@pytest.mark.parametrize("their_role", ["admin", "member"])
def test_only_owners_change_roles(as_user, ada, bob, cy, team, their_role):
    Membership.objects.filter(user=bob, conversation=team).update(role=their_role)
    Membership.objects.create(user=cy, conversation=team)
    for target, role in ((cy, "admin"), (bob, "owner"), (ada, "member")):
        response = as_user(bob).patch(member_url(team.pk, target.pk), {"role": role}, format="json")
        assert response.status_code == 403
        error = response.json()["error"]
        assert (error["code"], error["detail"]) == ("permission_denied", "Only owners can change roles.")
    assert (role_of(ada, team), role_of(bob, team), role_of(cy, team)) == ("owner", their_role, "member")
    assert role_events(team) == []


def test_a_direct_conversation_has_no_roles_to_change(as_user, ada, bob):
    direct = make_conversation(ada, bob, kind="direct")
    Membership.objects.filter(conversation=direct, user=ada).update(role="owner")  # even were she one
    response = as_user(ada).patch(member_url(direct.pk, bob.pk), {"role": "admin"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["role"]
    assert role_of(bob, direct) == "member"


@pytest.mark.parametrize("who", ["eve", "nobody"])
def test_someone_who_is_not_a_member_gets_no_role_a_404_no_such_member(as_user, ada, eve, team, who):
    # It was a 400 "Not a member.", where removing them is a 404 (85a6f6c): one answer for the one case
    user_id = eve.pk if who == "eve" else 10**9
    response = as_user(ada).patch(member_url(team.pk, user_id), {"role": "admin"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "detail": "No such member.", "fields": {}}}
    assert not Membership.objects.filter(user=eve, conversation=team).exists()


@pytest.mark.parametrize(
    "body", [{"role": "moderator"}, {"role": ""}, {"role": None}, {}, {"role": ["owner"]}]
)
def test_an_unknown_role_is_refused_on_the_role_field(as_user, ada, bob, team, body):
    response = as_user(ada).patch(member_url(team.pk, bob.pk), body, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["role"]
    assert role_of(bob, team) == "member"


def test_a_conversation_i_am_not_in_answers_404(as_user, bob, eve, team):
    response = as_user(eve).patch(member_url(team.pk, bob.pk), {"role": "admin"}, format="json")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    missing = as_user(eve).patch(member_url(10**9, bob.pk), {"role": "admin"}, format="json")
    assert missing.json() == NOT_FOUND


def test_giving_the_role_someone_has_changes_nothing(as_user, ada, bob, team):
    response = as_user(ada).patch(member_url(team.pk, bob.pk), {"role": "member"}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "member"
    assert role_events(team) == []


def test_an_owner_demoted_meanwhile_changes_no_role(ada, bob, cy, team):
    # given Ada's membership as read before Cy, a co-owner, made her a plain member
    Membership.objects.create(user=cy, conversation=team, role="owner")
    stale = owner_of(team, ada)
    services.member_role_set(actor=owner_of(team, cy), user_id=ada.pk, role="member")
    # when she acts on what she read
    with pytest.raises(PermissionDenied):
        services.member_role_set(actor=stale, user_id=bob.pk, role="owner")
    # then
    assert role_of(bob, team) == "member"


# --- the hand-over when the last owner leaves


def test_the_new_owner_after_the_last_owner_leaves_is_announced_before_the_leaving(as_user, ada, bob, team):
    assert as_user(ada).post(f"/api/v1/conversations/{team.pk}/leave/").status_code == 204
    assert role_events(team) == [(bob.pk, "owner")]
    events = ConversationEvent.objects.filter(conversation=team).order_by("seq")
    assert [(e.kind, e.user_id) for e in events] == [("member.updated", bob.pk), ("membership", ada.pk)]


# --- members are listed with their roles


def test_a_groups_members_are_listed_with_their_roles(as_user, ada, bob, cy, team):
    Membership.objects.create(user=cy, conversation=team, role="admin")
    detail = as_user(bob).get(f"/api/v1/conversations/{team.pk}/").json()
    listed = as_user(bob).get("/api/v1/conversations/").json()["results"][0]
    for conversation in (detail, listed):
        assert [(m["username"], m["role"]) for m in conversation["members"]] == [
            ("ada", "owner"),
            ("bob", "member"),
            ("cy", "admin"),
        ]


def test_a_channels_members_are_found_with_their_roles_in_a_fixed_number_of_queries(
    as_user, ada, bob, cy, django_assert_num_queries
):
    channel = make_conversation(ada, bob, cy, kind="channel", title="news", is_public=True)
    Membership.objects.filter(user=cy, conversation=channel).update(role="admin")
    make_conversation(cy, bob, title="Elsewhere")  # roles elsewhere are not theirs here
    client = as_user(bob)
    with django_assert_num_queries(2):  # my membership, the members
        found = client.get(f"/api/v1/conversations/{channel.pk}/members/")
    assert [(m["username"], m["role"]) for m in found.json()] == [
        ("ada", "owner"),
        ("bob", "member"),
        ("cy", "admin"),
    ]
    by_name = client.get(f"/api/v1/conversations/{channel.pk}/members/", {"search": "c"}).json()
    assert [(m["username"], m["role"]) for m in by_name] == [("cy", "admin")]
