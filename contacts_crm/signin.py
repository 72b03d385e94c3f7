"""Signing in at either door, the app's login page and the Django admin's, behind one throttle: django-axes.

axes counts failed authenticate() calls in the database (AccessAttempt, per username and per client address)
and its authentication backend refuses any further try while either is locked out, whichever door the try
comes through. This module gives that refusal the app's wording on the door's own login page.
"""

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse

LOCKED_OUT_MESSAGE = "Too many failed attempts. Wait 15 minutes, then try again."


class ThrottledLoginMixin:
    """Refuse a try while axes has its username or address locked out, with the same message either way.

    It asks axes before the password is checked: after authenticate() axes' flag cannot tell a refused try
    from the failure that reaches the limit, and that one is still just a wrong password to the person typing.
    """

    def clean(self):
        username = self.cleaned_data.get("username")
        if self.request is not None and not AxesProxyHandler.is_allowed(self.request, get_credentials(username)):
            raise ValidationError(LOCKED_OUT_MESSAGE, code="throttled")
        return super().clean()


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    """The app's login form."""


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The Django admin's login form: only superusers get past it (see contacts_crm.admin_site.CrmAdminSite)."""

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


def with_refusal_status(response: HttpResponse) -> HttpResponse:
    """Answer 429 when the page's login form refused the try."""
    form = (getattr(response, "context_data", None) or {}).get("form")
    if form is not None and form.has_error(NON_FIELD_ERRORS, "throttled"):
        response.status_code = 429
    return response


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        return with_refusal_status(super().form_invalid(form))


def lockout_response(request: HttpRequest, original_response: HttpResponse, credentials=None) -> HttpResponse:
    """Keep the door's own page, never axes' bare lockout text (settings.AXES_LOCKOUT_CALLABLE).

    axes flags the request whose failure reaches the limit; its page already says the password was wrong,
    and the next try is refused by the login form in the app's words.
    """
    return original_response
