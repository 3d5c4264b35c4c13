from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import now
from solo.models import SingletonModel

from accounts import usernames


class LookalikeAwareUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        """The account named exactly so, else the one whose name looks the same (case, width, look-alike
        letters: accounts.usernames), as login finds it."""
        exact = self.filter(username=username).first()
        return exact if exact is not None else self.get(username_key=usernames.lookalike_key(username or ""))


class User(AbstractUser):
    """A Parley user. `display_name` is what other people see; the email stays private.

    A bot (`is_bot`) is a user owned by a human (`bot_owner`); it signs in only with API tokens. A webhook's
    bot (`is_webhook_bot`) has none: it only posts through its webhook's URL.
    A suspended user has `is_active=False` and `suspended_at` set; reinstating clears both."""

    display_name = models.CharField(max_length=64, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    is_bot = models.BooleanField(default=False)
    bot_owner = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="bots", editable=False
    )
    is_webhook_bot = models.BooleanField(default=False, editable=False)
    # accounts.usernames.lookalike_key(username): at most one account per look; kept by save(). Accounts that
    # already looked alike when it came in (migration 0004) keep their names, with `#<id>` after their key.
    username_key = models.CharField(max_length=600, unique=True, editable=False)
    suspended_at = models.DateTimeField(null=True, blank=True, editable=False)
    suspension_reason = models.TextField(blank=True, editable=False)
    # When the person proved they read `email` (a link sent to it); None until then, and after a change.
    email_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when the account's personal data was erased (accounts.services.privacy.user_erase); the row stays,
    # anonymised, for what still points at it ("Deleted user").
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects: ClassVar[LookalikeAwareUserManager] = LookalikeAwareUserManager()

    class Meta(AbstractUser.Meta):
        permissions = [("suspend_user", "Can suspend and reinstate users")]

    def clean(self) -> None:
        """Django's (the username in NFKC), then: one script per name, no name erasure gives (`deleted-…`), no
        name that looks like another's."""
        super().clean()
        usernames.check_scripts(self.username)
        self._check_not_reserved()
        taken = User.objects.filter(username_key=usernames.lookalike_key(self.username)).exclude(pk=self.pk)
        if taken.exists():
            raise ValidationError({"username": "This username is taken, or looks like one that is."})

    def _check_not_reserved(self) -> None:
        """Registration, bots and the admin's forms all clean the name; only erasure sets a reserved one. An
        account that already has its name (erased, or from before the check) keeps it."""
        if not usernames.is_reserved(self.username):
            return
        if self.pk is not None and User.objects.filter(pk=self.pk, username=self.username).exists():
            return
        raise ValidationError(
            {"username": f"Usernames starting with {usernames.RESERVED_PREFIX} are reserved."}
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        key = usernames.lookalike_key(self.username)
        if not self.username_key.startswith(f"{key}#"):  # `<key>#<id>`: a look-alike from before (0004)
            self.username_key = key
        super().save(*args, **kwargs)

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class ApiToken(models.Model):
    """A personal or bot API token: `pk_<id>_<secret>`. Only a SHA-256 of the secret is stored; the token is
    shown once, when it is made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_active")]

    def __str__(self) -> str:
        return f"pk_{self.pk}_… ({self.name})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class LoginSession(models.Model):
    """One sign-in: its refresh tokens, through every rotation, and each access token minted from them carry
    its id (accounts.tokens.SESSION_CLAIM). Ending it refuses them all and closes its sockets (4401)."""

    id = models.CharField(primary_key=True, max_length=64, editable=False)  # the first refresh token's jti
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions"
    )
    device = models.CharField(max_length=100, blank=True)  # "Firefox 133 on Linux", from the User-Agent
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()  # the sign-in, then each refresh of its access token
    ended_at = models.DateTimeField(null=True, blank=True)
    # The jti of its newest refresh token, of the one that token replaced, and when: the older gets the newer
    # again, shortly after, while the newer was never used, for the answer that carried the newer may have
    # been lost (accounts.services.sessions.session_refresh). Empty in sessions begun before these were kept.
    refresh_jti = models.CharField(max_length=64, blank=True)
    previous_refresh_jti = models.CharField(max_length=64, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "ended_at"], name="login_session_user_live")]

    def __str__(self) -> str:
        return f"{self.device or 'session'} of {self.user_id}"

    @property
    def has_ended(self) -> bool:
        return self.ended_at is not None


class RecoveryCode(models.Model):
    """A one-time code that stands in for the authenticator app (a lost phone). Only a SHA-256 is stored: the
    codes are random, shown once, when made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class AccountPolicy(SingletonModel):
    """The workspace's account rules, edited by admins in the Django admin (docs/accounts.md)."""

    class EmailVerification(models.TextChoices):
        OPTIONAL = "optional", "optional: unverified accounts may post, but get no email notices"
        REQUIRED = "required", "required: unverified accounts cannot post"

    class SignUp(models.TextChoices):
        OPEN = "open", "open: anyone may sign up"
        INVITE_ONLY = "invite", "invite only: with an invitation link made by a member or an admin"

    sign_up = models.CharField(max_length=8, choices=SignUp.choices, default=SignUp.OPEN)
    allowed_email_domains = models.TextField(
        blank=True,
        help_text="One domain per line (example.com): sign-ups and email changes only with an address at one "
        "of them. Empty: any address.",
    )
    email_verification = models.CharField(
        max_length=8, choices=EmailVerification.choices, default=EmailVerification.OPTIONAL
    )

    require_two_factor_for_staff = models.BooleanField(
        default=False,
        help_text="Staff (moderators, admins) must turn on two-factor authentication before they can use the "
        "app, the API or the admin.",
    )

    class Meta:
        verbose_name = "account policy"

    @property
    def email_domains(self) -> list[str]:
        return [
            line.strip().lower().lstrip("@") for line in self.allowed_email_domains.split() if line.strip()
        ]

    def __str__(self) -> str:
        return "Account policy"


class Block(models.Model):
    """`blocker` blocked `blocked`: no new direct conversation between them, `blocked` cannot add `blocker` to
    a group, and their direct conversation carries no more messages, either way."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="one_block_per_pair"),
            models.CheckConstraint(condition=~models.Q(blocker=models.F("blocked")), name="no_self_block"),
        ]
        indexes = [models.Index(fields=["blocked"], name="block_blocked")]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocked {self.blocked_id}"


class Invitation(models.Model):
    """An invitation link, `/signup?invite=iv_<id>_<secret>`: it lets up to `max_uses` people sign up until
    `expires_at`. Only a SHA-256 of the secret is stored; the link is shown once, when it is made."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations", editable=False
    )
    secret_hash = models.CharField(max_length=64, editable=False)
    max_uses = models.PositiveIntegerField(default=1)
    uses = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["created_by", "revoked_at"], name="invitation_creator_live")]

    def __str__(self) -> str:
        return f"invitation {self.pk} by {self.created_by_id} ({self.uses}/{self.max_uses})"


class DataExport(models.Model):
    """A "download my data" ZIP, built by a Celery task (accounts.tasks.build_data_export_task), kept in
    storage until `expires_at`."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        READY = "ready"
        FAILED = "failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    file_key = models.CharField(max_length=255, blank=True, editable=False)
    size = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="data_export_user_newest")]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.user_id} ({self.status})"

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)

    @property
    def is_kept(self) -> bool:
        """Ready, and its ZIP still in storage (until `expires_at`): it can be downloaded."""
        ready = self.status == self.Status.READY and bool(self.file_key)
        return ready and self.expires_at is not None and self.expires_at > now()
