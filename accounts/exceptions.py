"""Account errors shared by the REST API, the socket and the admin."""

from django.core.exceptions import ValidationError
from rest_framework import status
from rest_framework.exceptions import APIException


class AccountSuspended(APIException):
    """The account (or a bot's owner's) is suspended: logins, tokens and sockets are refused."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "account_suspended"
    default_detail = "This account is suspended. Contact the workspace's moderators."


class WrongPassword(ValidationError):
    """The password a signed-in person gave to confirm a change is not theirs (a 400 naming the field). Only
    these count against their limit (accounts.api.throttles.PasswordCheckThrottle)."""
