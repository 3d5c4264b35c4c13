from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A Parley user. `display_name` is what other people see; the email stays private."""

    display_name = models.CharField(max_length=64, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)

    @property
    def public_name(self) -> str:
        return self.display_name or self.username
