"""Reading the environment: django-environ's Env, refusing at settings load, as an ImproperlyConfigured that
names the variable, its value and what it must be, what it would otherwise pass on to fail later (a bare
ValueError, a logging error, a 500 on the first request or scrape). django-environ names the variable only
when it is unset; its `choices` name neither."""

import builtins
import ipaddress
import logging
import re
from collections.abc import Callable, Collection
from typing import Any, TypeVar

import environ
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")
NO_WORDS = ("false", "off", "n", "no", "0", "")  # django-environ's BOOLEAN_TRUE_STRINGS are the yes words
YES_OR_NO = "yes or no (true or false, on or off, 1 or 0)"
_EXPECTED = {int: "a whole number", float: "a number"}


def invalid(var: str, value: Any, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{var} must be {expected}, not {value!r}")


class Env(environ.Env):
    def get_value(self, var: str, cast: Any = None, default: Any = environ.Env.NOTSET, **kwargs: Any) -> Any:
        try:
            return super().get_value(var, cast=cast, default=default, **kwargs)
        except ValueError as error:
            expected = _EXPECTED.get(cast, f"readable as {getattr(cast, '__name__', cast)}")
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
