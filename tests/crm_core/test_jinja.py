"""The Jinja2 partials: every value escaped as Django's engine would, and a missing value an error."""

import pytest
from django.utils.safestring import SafeString, mark_safe

import jinja2
from crm_core.jinja import partial_render
from customers.views.contact_list import _contact_rows
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _row(**values):
    row = {
        "pk": "1",
        "name": "Ann Lee",
        "initials": "AL",
        "thumbnail_url": "",
        "url": "/contacts/1/",
        "email": "ann@example.com",
        "phone": "",
        "stage": "lead",
        "stage_label": "Lead",
        "labels": [],
        "companies": "",
        "orders_count": "0",
        "total_spent": "",
        "last_order": None,
        "created": {"iso": "2026-01-02T03:04:05+00:00", "text": "2 Jan 2026"},
    }
    return row | values


def test_every_value_is_escaped_and_the_result_is_markup():
    html = partial_render(
        "customers/contact_rows.html",
        {"rows": [_row(name='"><script>alert(1)</script>', email="a&b@example.com")], "selectable": True},
    )
    assert isinstance(html, SafeString)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'aria-label="Select &#34;&gt;&lt;script&gt;' in html
    assert "a&amp;b@example.com" in html


def test_markup_already_safe_is_kept():
    html = partial_render(
        "customers/contact_rows.html", {"rows": [_row(total_spent=mark_safe("<b>1</b>"))], "selectable": False}
    )
    assert "<b>1</b>" in html
    assert 'name="ids"' not in html


def test_a_value_the_partial_names_but_is_not_given_fails_the_render():
    row = _row()
    del row["email"]
    with pytest.raises(jinja2.UndefinedError):
        partial_render("customers/contact_rows.html", {"rows": [row], "selectable": True})


def test_the_views_rows_give_the_partial_every_value_it_names():
    contact = ContactFactory(first_name="<b>bold</b>", last_name="O'Neil")
    contact.first_phone, contact.label_list, contact.company_names = "", [], ["Acme & Co"]
    html = partial_render("customers/contact_rows.html", {"rows": _contact_rows([contact]), "selectable": True})
    assert "&lt;b&gt;bold&lt;/b&gt; O&#39;Neil" in html
    assert "Acme &amp; Co" in html
