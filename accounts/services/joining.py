"""Who may join (the account policy): open sign-up or invitation links only, and allowed email domains.
Invitations are made by members or admins, expire and have a number of uses."""

from datetime import UTC, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts import selectors, tokens
from accounts.models import AccountPolicy, Invitation, User
from core.errors import Refused

INVITATIONS_MAX_PER_USER = 20
INVITATION_MAX_USES = 100
INVITATION_MAX_DAYS = 30


def check_email_domain(*, email: str, field: str = "email") -> None:
    """Refuse an address outside the policy's allowed domains (when it names any)."""
    domains = selectors.account_policy().email_domains
    if domains and email.rpartition("@")[2].lower() not in domains:
        raise ValidationError({field: f"Only addresses at {', '.join(domains)} may be used here."})


def invitation_spend(*, raw: str) -> Invitation | None:
    """Admit one sign-up: with invitation-only sign-up a valid invitation is required, and is spent (one use);
    with open sign-up one given is spent too, if valid. Called inside the registration's transaction."""
    invite_only = selectors.account_policy().sign_up == AccountPolicy.SignUp.INVITE_ONLY
    if not raw:
        if invite_only:
            raise Refused("invitation_required", "Joining needs an invitation: ask a member for a link.")
        return None
    invitation = selectors.invitation_for_link(raw=raw, lock=True)
    Invitation.objects.filter(pk=invitation.pk).update(uses=invitation.uses + 1)
    return invitation


@transaction.atomic
def invitation_create(*, creator: User, max_uses: int, days: int) -> tuple[Invitation, str]:
    """An invitation link (returned once, with its row): up to `max_uses` sign-ups within `days` days."""
    if creator.is_bot:
        raise PermissionDenied("Bots cannot invite people.")
    if selectors.invitation_list_for_user(user=creator).count() >= INVITATIONS_MAX_PER_USER:
        raise ValidationError(
            {"max_uses": f"At most {INVITATIONS_MAX_PER_USER} open invitations; revoke one."}
        )
    if not 1 <= max_uses <= INVITATION_MAX_USES:
        raise ValidationError({"max_uses": f"Between 1 and {INVITATION_MAX_USES} uses."})
    if not 1 <= days <= INVITATION_MAX_DAYS:
        raise ValidationError({"days": f"Between 1 and {INVITATION_MAX_DAYS} days."})
    secret = tokens.new_secret()
    invitation = Invitation.objects.create(
        created_by=creator,
        secret_hash=tokens.hash_secret(secret),
        max_uses=max_uses,
        expires_at=datetime.now(tz=UTC) + timedelta(days=days),
    )
    return invitation, tokens.format_token(tokens.INVITATION_PREFIX, invitation.pk, secret)


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    if invitation.revoked_at is None:
        invitation.revoked_at = datetime.now(tz=UTC)
        invitation.save(update_fields=["revoked_at"])
    return invitation
