from typing import Any

import pytest
from django.apps import apps
from django.forms import FileField
from django.test import Client

from moderation.groups import sync_moderators_group
from tests.accounts.factories import UserFactory
from tests.messaging.conftest import ada, bob, connect, eve, team  # noqa: F401  (socket fixtures)


@pytest.fixture
def moderator(transactional_db):
    """A staff member (not a superuser) in the Moderators group. The group is made by a data migration; it is
    synced here again because transactional tests flush the database."""
    group = sync_moderators_group(apps)
    user = UserFactory(username="mod", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def moderator_client(moderator) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def superuser_client(transactional_db) -> Client:
    root: Any = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    return client


def feedback(response) -> list[str]:
    """The messages the admin showed after an action."""
    return [str(message) for message in response.context["messages"]]


def change_form_data(page, **changes) -> dict:
    """What a browser posts when the change form `page` (a GET's response) is saved with `changes` made:
    each editable field's current value (an unticked box is left out), its inlines' as they are, then the
    changes (None unticks)."""
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict = {}
    for form in forms:
        data.update(_form_values(form))
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def _form_values(form) -> dict:
    data: dict = {}
    for name, field in form.fields.items():
        if field.disabled or isinstance(field, FileField):  # a file not sent is kept
            continue
        keys = [form.add_prefix(name)]
        if field.show_hidden_initial:  # a field with a callable default also posts the value it showed
            keys.append(form.add_initial_prefix(name))
        for key in keys:
            data.update(_field_values(field, key, form[name].value()))
    return data


def _field_values(field, key: str, value) -> dict:
    if hasattr(field.widget, "decompress"):  # a split date and time, as the page shows it
        parts = enumerate(zip(field.widget.widgets, field.widget.decompress(value), strict=True))
        return {f"{key}_{index}": widget.format_value(part) or "" for index, (widget, part) in parts}
    if value is True:
        return {key: "on"}
    if value is None or value is False:  # an unticked box is not sent (0 is a value)
        return {}
    return {key: value}
