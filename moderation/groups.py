"""The `Moderators` group and exactly the permissions moderation needs: no add or delete, no user editing
beyond what ModeratedUserAdmin allows, view-only audit log. Used by the data migration (with historical
models) and by tests after a database flush."""

from typing import Any

MODERATORS_GROUP = "Moderators"

# (app label, model): permission codenames
MODERATOR_PERMISSIONS: dict[tuple[str, str], list[str]] = {
    ("accounts", "user"): ["view_user", "change_user", "suspend_user"],
    ("messaging", "conversation"): ["view_conversation"],
    ("messaging", "message"): ["view_message", "change_message", "remove_message"],
    ("messaging", "messagerevision"): ["view_messagerevision"],
    ("moderation", "report"): ["view_report", "change_report"],
    ("moderation", "auditentry"): ["view_auditentry"],
}


def sync_moderators_group(apps: Any) -> Any:
    """Create the group if needed and set its permissions to exactly MODERATOR_PERMISSIONS."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():  # permissions are otherwise made only after all migrations
        stub = getattr(app_config, "models_module", None) is None  # the migration's historical app configs
        if stub:
            app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        if stub:
            app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _ = group_model.objects.get_or_create(name=MODERATORS_GROUP)
    permissions = []
    for (app_label, model), codenames in MODERATOR_PERMISSIONS.items():
        found = list(
            permission_model.objects.filter(
                content_type__app_label=app_label, content_type__model=model, codename__in=codenames
            )
        )
        if len(found) != len(codenames):
            raise RuntimeError(f"missing permissions for {app_label}.{model}: {codenames}")
        permissions += found
    group.permissions.set(permissions)
    return group
