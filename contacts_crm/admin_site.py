"""The Django admin's site: for active superusers only, signing in behind the app's one throttle."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required

from contacts_crm.signin import AdminLoginForm, with_refusal_status


class CrmAdminSite(admin.AdminSite):
    """The Django admin, for active superusers only: Viewers, Staff and Managers work in the app itself."""

    login_form = AdminLoginForm

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and request.user.is_superuser

    # Django's login view carries this mark; an override must repeat it, or the login page would need a login.
    @login_not_required
    def login(self, request, extra_context=None):
        return with_refusal_status(super().login(request, extra_context))
