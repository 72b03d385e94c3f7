"""The three staff roles and the model permissions each one holds."""

from django.apps.registry import Apps

# The apps whose models staff work with; a role's permissions cover every model in them.
CRM_APPS = ("customers", "companies", "orders", "tickets")

# Each role holds the actions of the one before it. An action is a permission codename's first word
# ("erase" is customers.erase_contact: removing a person's data on a privacy request).
ROLE_ACTIONS = {
    "Viewer": ("view", "export"),
    "Staff": ("view", "export", "add", "change"),
    "Manager": ("view", "export", "add", "change", "delete", "erase", "merge"),
}


def sync_staff_groups(apps: Apps) -> None:
    """Create or refresh the Viewer, Staff and Manager groups with exactly their role's permissions."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations have run; create them now so the
    # groups can be given them on the first migrate.
    # (create_permissions skips app configs without a models module, which migration states lack.)
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    crm_permissions = list(Permission.objects.filter(content_type__app_label__in=CRM_APPS))
    for role, actions in ROLE_ACTIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(
            [permission for permission in crm_permissions if permission.codename.split("_", 1)[0] in actions]
        )
