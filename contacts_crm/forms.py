"""Forms shared across the apps."""

import hashlib

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing further tries after repeated failures for a username or an address.

    The counters are kept whether or not the username exists, and the messages are the same either way,
    so the form never tells an attacker which accounts exist.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed attempts. Wait 15 minutes, then try again.",
    }

    def clean(self):
        keys = self._throttle_keys()
        if any(cache.get(key, 0) >= settings.LOGIN_THROTTLE_LIMIT for key in keys):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            return super().clean()
        except forms.ValidationError:
            for key in keys:
                cache.add(key, 0, settings.LOGIN_THROTTLE_WINDOW)
                cache.incr(key)
            raise

    def _throttle_keys(self) -> list[str]:
        username = (self.data.get("username") or "").strip().lower()
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        return [
            "login-fail:user:" + hashlib.sha256(username.encode()).hexdigest(),
            "login-fail:addr:" + hashlib.sha256(address.encode()).hexdigest(),
        ]
