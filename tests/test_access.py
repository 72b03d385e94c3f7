"""Nothing answers an anonymous request except an explicit allow-list; roles get exactly their rights."""

import re

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from companies.models import Company
from customers.models import Contact
from tests.factories import CompanyFactory

# URL names an anonymous visitor may reach. Adding a public URL means adding it here, on purpose.
PUBLIC_URL_NAMES = {
    "login",
    "admin:login",
    "website_contact",
    "website_contact_thanks",
    "shop_order_webhook",
    "shopify_webhook",
    "woocommerce_webhook",
    # The Customer Portal: its pages check their own sign-in (a contact's, never a staff login).
    "portal:list",
    "portal:sign_in",
    "portal:sign_in_link",
    "portal:sign_out",
    "portal:create",
    "portal:detail",
    "portal:attachment",
    "mail:mailgun_inbound",
}


def walk(patterns, prefix="", namespace=None):
    """Yield (route, name, callback) for every URL pattern, however deeply included."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner_namespace = pattern.namespace or namespace
            if namespace and pattern.namespace:
                inner_namespace = f"{namespace}:{pattern.namespace}"
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner_namespace)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name, pattern.callback


def sample_path(route: str) -> str:
    """Turn a route into a concrete path with plausible values for its parameters."""
    path = re.sub(r"<int:\w+>", "1", route)
    path = re.sub(r"<(?:str|slug|path):\w+>|<\w+>", "x", path)
    # Regex routes (the admin's): drop anchors, take the first alternative of each group.
    path = path.replace("^", "").replace("$", "").replace("\\Z", "")
    path = re.sub(r"\(\?P<\w+>([^|)]*)[^)]*\)", lambda m: m.group(1) or "x", path)
    return "/" + path.replace("\\", "")


ALL_URLS = sorted(set(walk(get_resolver().url_patterns)), key=lambda item: item[0])


def test_every_url_is_either_behind_login_or_on_the_public_list():
    """A new view that opts out of LoginRequiredMiddleware fails here until it is added to the list."""
    public = {name for _, name, callback in ALL_URLS if getattr(callback, "login_required", True) is False}
    admin_protected = {name for name in public if name and name.startswith("admin:")}
    # The admin's own views opt out of the middleware because admin_view does its own login check;
    # test_anonymous_requests_are_sent_to_log_in proves that check for each of them.
    assert public - admin_protected - PUBLIC_URL_NAMES == set()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "name"), [(route, name) for route, name, _ in ALL_URLS if name not in PUBLIC_URL_NAMES]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_requests_are_sent_to_log_in(client, route, name, method):
    path = sample_path(route)
    response = getattr(client, method)(path)
    if response.status_code == 302:
        login_urls = (reverse(settings.LOGIN_URL), reverse("admin:login"))
        assert response.url.split("?")[0] in login_urls, f"{path} redirects to {response.url}"
    else:
        assert response.status_code in {401, 403, 404, 405}, f"{method.upper()} {path} answered {response.status_code}"


@pytest.mark.django_db
def test_the_login_page_is_public(client):
    assert client.get(reverse("login")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "needs_company"),
    [
        ("customers:create", False),
        ("companies:create", False),
        ("companies:update", True),
        ("companies:delete", True),
        # A Viewer may read the possible duplicates, but neither run the finder nor dismiss a pair.
        ("merges:find", False),
        ("merges:dismiss", False),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_viewer_gets_403_on_add_change_and_delete_views(client, viewer, url_name, needs_company, method):
    company = CompanyFactory(name="Acme")
    client.force_login(viewer)
    url = reverse(url_name, args=[company.pk] if needs_company else [])
    data = {"name": "Changed", "email": "new@example.com", "default_portal_access": "company"}
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    assert response.status_code == 403
    company.refresh_from_db()
    assert company.name == "Acme"
    assert Company.objects.count() == 1
    assert not Contact.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "button"), [("customers:list", b"Add customer"), ("companies:list", b"Add company")]
)
def test_the_add_button_shows_only_to_those_who_may_add(client, viewer, staff_user, url_name, button):
    client.force_login(staff_user)
    assert button in client.get(reverse(url_name)).content
    client.force_login(viewer)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert button not in response.content


@pytest.mark.django_db
def test_a_viewer_can_read_the_possible_duplicates_without_their_buttons(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("merges:pairs"))
    assert response.status_code == 200
    assert b"Find duplicates now" not in response.content


@pytest.mark.django_db
def test_a_viewer_can_browse_orders(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("orders:list")).status_code == 200


@pytest.mark.django_db
def test_staff_can_add_but_not_delete(client, staff_user):
    company = CompanyFactory()
    client.force_login(staff_user)
    assert client.get(reverse("companies:create")).status_code == 200
    assert client.post(reverse("companies:delete", args=[company.pk])).status_code == 403
    assert Company.objects.filter(pk=company.pk).exists()


@pytest.mark.django_db
def test_a_manager_can_delete(client, manager):
    company = CompanyFactory()
    client.force_login(manager)
    response = client.post(reverse("companies:delete", args=[company.pk]))
    assert response.status_code == 302
    assert not Company.objects.filter(pk=company.pk).exists()


@pytest.mark.django_db
def test_unsafe_requests_without_a_csrf_token_are_refused(manager):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    company = CompanyFactory()
    response = client.post(reverse("companies:delete", args=[company.pk]))
    assert response.status_code == 403
    assert Company.objects.filter(pk=company.pk).exists()
