"""No form of the app cuts what is typed or pasted: no maxlength reaches the page, and the server names the limit."""

import pytest
from django import forms
from django.urls import reverse

from crm_core import forms as crm_forms
from tests.factories import CompanyFactory, ContactFactory, LabelFactory, OrderFactory

pytestmark = pytest.mark.django_db


# Each page with a form, and how to make the object its URL names.
FORM_PAGES = {
    "customers:create": None,
    "customers:update": lambda: ContactFactory().pk,
    "customers:detail": lambda: ContactFactory().pk,
    "customers:message": lambda: ContactFactory().pk,
    "customers:consent_change": lambda: ContactFactory().pk,
    "customers:label_create": None,
    "customers:label_update": lambda: LabelFactory().pk,
    "companies:create": None,
    "companies:update": lambda: CompanyFactory().pk,
    "companies:detail": lambda: CompanyFactory().pk,
    "orders:draft_create": lambda: ContactFactory().pk,
    "orders:draft_update": lambda: OrderFactory(status="draft").pk,
}


@pytest.mark.parametrize("url_name", FORM_PAGES)
def test_no_form_page_carries_a_maxlength(manager_client, url_name):
    make = FORM_PAGES[url_name]
    response = manager_client.get(reverse(url_name, args=[make()] if make else []))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<input" in html or "<textarea" in html
    assert "maxlength" not in html


@pytest.mark.parametrize("url_name", ["login", "website_contact"])
def test_the_public_forms_carry_no_maxlength_either(client, url_name):
    html = client.get(reverse(url_name)).content.decode()
    assert "<input" in html
    assert "maxlength" not in html


def test_the_limit_message_gives_both_numbers_as_people_read_them():
    class Form(forms.Form):
        name = crm_forms.CharField(
            max_length=1_500, error_messages={"max_length": crm_forms.too_long_message("Name", 1_500)}
        )

    form = Form({"name": "x" * 10_240})
    assert form.errors["name"] == ["Name must be 1,500 characters or fewer (it has 10,240)"]
    assert form.fields["name"].max_length == 1_500
    assert "maxlength" not in str(form["name"])


@pytest.mark.parametrize(
    ("url", "limit"),
    [("/companies/", 253), ("/contacts/trash/", 200)],
)
def test_a_search_longer_than_its_limit_is_kept_in_the_box_and_said_to_be_ignored(manager_client, url, limit):
    """A pasted search is never cut to match what nobody typed: the list says it was ignored."""
    typed = "n" * (limit + 1)
    html = manager_client.get(url, {"q": typed}).content.decode()
    assert f'value="{typed}"' in html
    assert f"Search: at most {limit:,} characters (it has {limit + 1:,}). It was ignored." in html
    assert "maxlength" not in html.split('id="id_q"')[1].split(">")[0]


def test_the_contacts_lists_search_boxes_carry_no_maxlength(manager_client):
    ContactFactory()
    html = manager_client.get("/contacts/").content.decode()
    for box in ('id="id_q"', 'id="id_company"'):
        assert "maxlength" not in html.split(box)[1].split(">")[0]
