import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from companies.models import Company, Membership
from customers.models import Activity, ConsentRecord, Contact, Label, Stage
from orders.models import Order
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

MODELS = [Contact, Company, Membership, Label, Order, Activity, ConsentRecord]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_makes_realistic_data_and_running_it_twice_leaves_the_same_counts():
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    assert first["Contact"] == 200
    assert first["Company"] == 20
    assert first["Label"] >= 5
    assert first["Order"] > 100
    assert first["ConsentRecord"] > 0
    assert Contact.objects.filter(stage=Stage.LEAD).exists()
    assert Contact.objects.filter(stage=Stage.CUSTOMER).exists()
    assert Activity.objects.filter(kind="note").exists()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first


def test_seed_demo_if_empty_leaves_a_database_with_contacts_alone():
    ContactFactory()
    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    assert Contact.objects.count() == 1


def test_demo_login_can_sign_in(client, settings):
    settings.DEBUG = True
    call_command("demo_login", stdout=io.StringIO())
    # Through the login page: the sign-in throttle's backend needs the request that client.login() lacks.
    response = client.post(reverse("login"), {"username": "demo", "password": "demo-contacts-2026"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_demo_login_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development"):
        call_command("demo_login")


def test_the_readmes_webhook_example_is_a_new_order_against_the_demo_data(client, settings):
    """`make run` seeds the demo data and prints the development secret; the README's curl then gives 201."""
    import hashlib
    import hmac
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    body = re.search(r"^body='(\{.*\})'$", readme, re.M).group(1).encode()
    settings.SHOP_WEBHOOK_SECRET = settings.DEV_SHOP_WEBHOOK_SECRET
    call_command("seed_demo", stdout=io.StringIO())
    signature = hmac.new(settings.DEV_SHOP_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        "/hooks/shop/orders", body, content_type="application/json", headers={"X-Shop-Signature": f"sha256={signature}"}
    )
    assert response.status_code == 201, response.json()
    assert Contact.objects.get(email="ann@example.com").stage == Stage.CUSTOMER
