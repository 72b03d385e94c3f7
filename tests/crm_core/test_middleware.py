"""An address with more parameters than Django reads gets a clear 400 page, with DEBUG on or off."""

import pytest

pytestmark = pytest.mark.django_db

TOO_MANY = "&".join(["q=a"] * 1001)
PATHS = [
    "/contacts/",
    "/contacts/export/",
    "/contacts/1/",
    "/contacts/trash/",
    "/companies/",
    "/orders/",
    "/accounts/login/",
    "/contact/",
    "/admin/",
    "/hooks/shop/orders",
    "/nowhere/",
]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", PATHS)
def test_more_than_a_thousand_query_parameters_get_a_clear_400_page_on_every_url(
    manager_client, production, settings, debug, path
):
    """With DEBUG on, Django's own error page read request.GET again and failed with a 500."""
    settings.DEBUG = debug
    response = manager_client.get(f"{path}?{TOO_MANY}")
    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Bad request · Contacts CRM</title>" in html
    assert "This address has more than 1,000 parameters, more than we read, so nothing was done." in html
    # The answer passes back through the other middleware, so it carries their headers.
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response


@pytest.mark.parametrize("debug", [False, True])
def test_anonymous_visitors_get_the_same_page(client, production, settings, debug):
    settings.DEBUG = debug
    response = client.get(f"/contacts/?{TOO_MANY}")
    assert response.status_code == 400
    assert "This address has more than 1,000 parameters" in response.content.decode()


def test_a_thousand_query_parameters_are_still_read(manager_client, production):
    response = manager_client.get("/contacts/?" + "&".join(["q=a"] * 1000))
    assert response.status_code == 200


def test_a_form_with_more_than_a_thousand_fields_gets_the_page_in_general_words(manager_client, production):
    """Django's own handler renders the page for a request body it refused, without a reason."""
    response = manager_client.post("/contacts/bulk/delete/", {"ids": [str(number) for number in range(1, 1002)]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Bad request · Contacts CRM</title>" in html
    assert "We could not read what your browser sent, so nothing was done." in html
