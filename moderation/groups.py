"""The `Moderators` group and exactly the permissions moderation needs: no add or delete, no user editing
beyond what ModeratedUserAdmin allows, view-only audit log. Used by the data migration (with historical
models) and by tests after a database flush."""

from typing import Any

MODERATORS_GROUP = "Moderators"

# (app label, model): permission codenames
MODERATOR_PERMISSIONS: dict[tuple[str, str], list[str]] = {
    ("accounts", "user"): ["view_user", "change_user", "suspend_user"],
    ("messaging", "conversation"): ["view_conversation"],
    ("messaging", "membership"): ["view_membership"],  # who is in a reported message's conversation (0006)
    ("messaging", "message"): ["view_message", "change_message", "remove_message"],
    ("messaging", "messagerevision"): ["view_messagerevision"],
    ("moderation", "report"): ["view_report", "change_report"],
    ("moderation", "auditentry"): ["view_auditentry"],
}


def sync_moderators_group(apps: Any) -> Any:
    """Create the group if needed and set its permissions to exactly MODERATOR_PERMISSIONS."""
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=MODERATORS_GROUP)
    group.permissions.set(_permissions(apps, MODERATOR_PERMISSIONS))
    return group


def moderators_group_grant(apps: Any, permissions: dict[tuple[str, str], list[str]]) -> None:
    """Add these permissions to the group, if it exists, keeping those a superuser gave it besides (API
    tokens', sessions', webhooks': docs/moderation.md): what a migration giving moderators more does."""
    group = apps.get_model("auth", "Group").objects.filter(name=MODERATORS_GROUP).first()
    if group is not None:
        group.permissions.add(*_permissions(apps, permissions))


def _permissions(apps: Any, permissions: dict[tuple[str, str], list[str]]) -> list[Any]:
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():  # permissions are otherwise made only after all migrations
        stub = getattr(app_config, "models_module", None) is None  # the migration's historical app configs
        if stub:
            app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        if stub:
            app_config.models_module = None
    permission_model = apps.get_model("auth", "Permission")
    found = []
    for (app_label, model), codenames in permissions.items():
        these = list(
            permission_model.objects.filter(
                content_type__app_label=app_label, content_type__model=model, codename__in=codenames
            )
        )
        if len(these) != len(codenames):
            raise RuntimeError(f"missing permissions for {app_label}.{model}: {codenames}")
        found += these
    return found
