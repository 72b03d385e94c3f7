"""Signing in: the Django admin's login form, which only superusers get past."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError


class AdminLoginForm(AdminAuthenticationForm):
    """The Django admin's login form: only superusers get past it (see contacts_crm.admin.CrmAdminSite)."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter the correct %(username)s and password for a superuser account. "
            "Note that both fields may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_superuser:
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
