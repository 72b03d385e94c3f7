"""Admin building blocks for the apps: read-only admins for records only services write.

Every write the Django admin makes to the apps' records goes through the apps' services.
"""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records only services write (activity, consent, orders): superusers may look, not edit."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
