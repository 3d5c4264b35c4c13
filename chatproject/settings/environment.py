"""Reading the environment: django-environ's Env, refusing at settings load, as an ImproperlyConfigured that
names the variable, its value and what it must be, what it would otherwise pass on to fail later (a bare
ValueError, a logging error, a 500 on the first request or scrape). django-environ names the variable only
when it is unset; its `choices` name neither. A number is read from its whole value (django-environ's float
kept only digits, commas, dots and minus signs: `10s` was 10, `1,500` 1.5) and kept within its variable's
bounds."""

import builtins
import ipaddress
import logging
import math
import re
from collections.abc import Callable, Collection
from typing import Any, TypeVar
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")
NO_WORDS = ("false", "off", "n", "no", "0", "")  # django-environ's BOOLEAN_TRUE_STRINGS are the yes words
YES_OR_NO = "yes or no (true or false, on or off, 1 or 0)"
_EXPECTED = {int: "a whole number", float: "a number"}
SMTP_SCHEMES = ("smtp", "smtp+tls", "smtps", "smtp+ssl")  # smtps, like smtp+tls, is STARTTLS (django-environ)
SMTP_URL = (
    "an SMTP URL (smtp://, smtp+tls://, smtps:// or smtp+ssl://) with a host, and any port from 1 to 65535"
)


def invalid(var: str, value: Any, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{var} must be {expected}, not {value!r}")


def finite_number(value: str) -> float:
    """A decimal number as Python writes one (`2.5`, `10`, `1e3`; spaces around allowed), not inf or nan."""
    number = float(value)  # ValueError for `10s`, `1,5`
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def bounds(*, minimum: float | None = None, maximum: float | None = None, above: float | None = None) -> str:
    """What the bounds say, after "a number" or "a whole number"."""
    if minimum is not None and maximum is not None:
        return f" from {minimum} to {maximum}"
    if minimum is not None:
        return f", {minimum} or more"
    if above is not None:
        return f" more than {above}"
    return ""


class Env(environ.Env):
    def get_value(self, var: str, cast: Any = None, default: Any = environ.Env.NOTSET, **kwargs: Any) -> Any:
        try:
            return super().get_value(var, cast=cast, default=default, **kwargs)
        except ValueError as error:
            expected = _EXPECTED.get(cast, f"readable as {getattr(cast, '__name__', cast)}")
            raise invalid(var, self.ENVIRON.get(var), expected) from error

    @classmethod
    def parse_value(cls, value: Any, cast: Any) -> Any:
        if cast is float:  # django-environ's would drop every character but digits, commas, dots and '-'
            return finite_number(value)
        return super().parse_value(value, cast)

    def int(
        self,
        var: str,
        default: Any = environ.Env.NOTSET,
        *,
        minimum: builtins.int | None = None,
        maximum: builtins.int | None = None,
    ) -> builtins.int:
        """A whole number, refused below `minimum` or above `maximum` (a timeout, size or count of -1)."""
        expected = "a whole number" + bounds(minimum=minimum, maximum=maximum)
        number: builtins.int = self._number(var, int, default, expected)
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise invalid(var, self.ENVIRON.get(var, number), expected)
        return number

    def float(
        self, var: str, default: Any = environ.Env.NOTSET, *, above: builtins.float | None = None
    ) -> builtins.float:
        """A finite number, refused at or below `above` (a timeout or rate of 0)."""
        expected = "a number" + bounds(above=above)
        number: builtins.float = self._number(var, float, default, expected)
        if above is not None and number <= above:
            raise invalid(var, self.ENVIRON.get(var, number), expected)
        return number

    def _number(self, var: str, cast: type, default: Any, expected: str) -> Any:
        try:
            return super().get_value(var, cast=cast, default=default)
        except ValueError as error:
            raise invalid(var, self.ENVIRON.get(var), expected) from error

    def bool(self, var: str, default: Any = environ.Env.NOTSET) -> builtins.bool:
        """Yes or no in a word django-environ knows; anything else is refused: it read every other word as
        no, so `REFRESH_COOKIE_SECURE=ture` sent the refresh cookie over plain HTTP."""
        if var not in self.ENVIRON:
            return super().bool(var, default=default)
        word = self.ENVIRON[var].strip().lower()
        if word not in (*self.BOOLEAN_TRUE_STRINGS, *NO_WORDS):
            raise invalid(var, self.ENVIRON[var], YES_OR_NO)
        return word in self.BOOLEAN_TRUE_STRINGS

    def smtp_url(self, var: str) -> dict[str, Any] | None:
        """django-environ's email settings from an SMTP URL, or None when unset or empty. A port that is no
        number (`smtp://mail.example.com:abc`) was urllib's bare ValueError; a URL with no host sent every
        email to the drop folder. The refusal shows the URL without its password."""
        value = self.str(var, default="")
        if not value:
            return None
        try:
            parts = urlsplit(value)
            # .port: a ValueError for a port that is no number or past 65535
            refused = parts.scheme not in SMTP_SCHEMES or not parts.hostname or parts.port == 0
        except ValueError:
            refused = True
        if refused:
            raise invalid(var, without_password(value), SMTP_URL)
        return self.email_url_config(value)

    def required(self, var: str) -> str:
        """Set, and not to an empty value (`VAR=` in an env file or a manifest is no value either)."""
        if not self.str(var, default="").strip():
            raise ImproperlyConfigured(f"Set the {var} environment variable (it is unset or empty)")
        return self.str(var)

    def parsed(self, var: str, *, default: str, parse: Callable[[str], T], expected: str) -> T:
        """`parse` of the variable's value (or of `default`); a ValueError of parse's names the variable."""
        value = self.str(var, default=default)
        try:
            return parse(value)
        except ValueError as error:
            raise invalid(var, value, expected) from error


def without_password(url: str) -> str:
    """`url` with what lies between the user's name and the last @ replaced by ***, for a message that names
    it (rather too much than any of a password, which may hold a / or @ unescaped)."""
    head, at, host = url.rpartition("@")
    scheme, separator, userinfo = head.partition("://")
    if not separator:
        scheme, userinfo = "", head
    if not at or ":" not in userinfo:
        return url
    return f"{scheme}{separator}{userinfo.split(':', 1)[0]}:***@{host}"


def one_of(choices: Collection[str]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in choices:
            raise ValueError(value)
        return value

    return parse


def log_level(value: str) -> str:
    """A level name, in any case (logging itself takes only upper case)."""
    name = value.strip().upper()
    if name not in logging.getLevelNamesMapping():
        raise ValueError(value)
    return name


def networks(value: str) -> list[str]:
    """Comma-separated addresses or networks, spaces around them allowed."""
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    for entry in entries:
        ipaddress.ip_network(entry, strict=False)  # ValueError for anything else
    return entries


RATE = re.compile(r"\d+/[smhd]\w*")


def rate(value: str) -> str:
    """A DRF throttle rate: requests per second, minute, hour or day (only the unit's first letter counts)."""
    if not RATE.fullmatch(value):
        raise ValueError(value)
    return value


LEVELS = "a log level (DEBUG, INFO, WARNING, ERROR or CRITICAL)"
NETWORKS = "addresses or networks separated by commas (10.0.0.0/8,127.0.0.1)"
RATES = "a rate: requests per s, min, hour or day (20/min)"
