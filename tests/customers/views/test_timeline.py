"""The timeline's entries as the contact page shows them: the same text Django's filters gave, escaped."""

from datetime import UTC, datetime

import pytest
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import linebreaksbr, urlize
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.moments import moment_formatter
from customers.models import Activity, ActivityKind
from customers.views.timeline import _body_html
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_an_events_text_is_escaped_with_its_line_breaks_and_its_links_stay_text(staff_client):
    contact = ContactFactory()
    Activity.objects.create(
        contact=contact,
        kind=ActivityKind.EVENT,
        event="website_message",
        actor_kind="system",
        body='Hello <script>alert(1)</script>\r\nsee https://example.com "now"',
    )
    html = staff_client.get(reverse("customers:detail", args=[contact.pk])).content.decode()
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;<br>see https://example.com &quot;now&quot;" in html
    assert '<a href="https://example.com"' not in html
    assert "<script>alert(1)" not in html


def test_an_entry_by_the_system_is_signed_with_its_kind(staff_client):
    contact = ContactFactory()
    Activity.objects.create(contact=contact, kind=ActivityKind.EVENT, event="created", actor_kind="system", body="Hi")
    html = staff_client.get(reverse("customers:detail", args=[contact.pk])).content.decode()
    assert "The system\n                · <time" in html


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "Asia/Kolkata"])
@pytest.mark.parametrize(
    "moment",
    [
        datetime(2025, 3, 5, 9, 7, tzinfo=UTC),
        datetime(2025, 7, 1, 23, 59, 30, 123456, tzinfo=UTC),
        datetime(1999, 12, 31, 0, 0, tzinfo=UTC),
    ],
)
def test_moments_read_as_the_date_filter_gives_them(zone, moment):
    with timezone.override(zone):
        # What a template shows: the moment in the current zone (template_localtime), then the filter.
        local = timezone.localtime(moment)
        formatted = moment_formatter(with_time=True)(moment)
        assert formatted == {"iso": date_filter(local, "c"), "text": date_filter(local, "j M Y, H:i")}
        assert moment_formatter()(moment)["text"] == date_filter(local, "j M Y")


FRAGMENTS = ["http", "HTTPS://", "www.", "@", ".com", ".ORG", ".net/x", "example", ".", ":", " ", "\n", "\r\n"]
FRAGMENTS += ["<b>", "&", '"', "'", "(", ")", "[", "]", "a", "é", "mailto:", "ann@example.com", "x.co.uk"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=5), max_size=12).map("".join), st.booleans())
def test_a_bodys_markup_is_what_the_templates_filters_gave(body, note):
    """The shortcut past urlize for a note that cannot hold a link gives exactly what urlize|linebreaksbr did."""
    expected = linebreaksbr(urlize(body, autoescape=True) if note else body, autoescape=True)
    assert _body_html(body, note=note) == expected
