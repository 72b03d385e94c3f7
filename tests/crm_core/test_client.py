"""The one client-address rule (crm_core.client), shared by the login throttle and the website form."""

import pytest
from django.test import RequestFactory

from crm_core.client import client_address


@pytest.mark.parametrize(
    ("header", "meta", "expected"),
    [
        ("", {"HTTP_X_FORWARDED_FOR": "192.0.2.1"}, "10.0.0.1"),
        ("X-Real-IP", {"HTTP_X_REAL_IP": "192.0.2.1"}, "192.0.2.1"),
        ("X-Real-IP", {"HTTP_X_REAL_IP": "2001:db8::1"}, "2001:db8::1"),
        # The proxy appends the address it saw; what comes before it the client could have made up.
        ("X-Forwarded-For", {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 192.0.2.1"}, "192.0.2.1"),
        ("X-Real-IP", {}, "10.0.0.1"),
    ],
)
def test_the_client_address_comes_from_the_configured_proxy_header_only(settings, header, meta, expected):
    settings.CLIENT_ADDRESS_HEADER = header
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", **meta)
    assert client_address(request) == expected


@pytest.mark.parametrize("value", ["unknown", "192.0.2.1, not-an-address", "<script>", "192.0.2.300", "x" * 300])
def test_a_header_value_that_is_not_an_address_is_ignored(settings, value):
    """The address is stored in an IP address column by the login throttle; text there would fail on PostgreSQL."""
    settings.CLIENT_ADDRESS_HEADER = "X-Real-IP"
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP=value)
    assert client_address(request) == "10.0.0.1"
