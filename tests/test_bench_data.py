import io
from collections import Counter
from decimal import Decimal

import phonenumbers
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Max, Sum
from django.db.models.functions import Lower

from bench.data import TABLES, Command, Dataset
from companies.models import Company, Membership, MembershipAccess
from customers.models import Activity, ConsentRecord, ConsentState, Contact, Label, PhoneNumber, Stage
from customers.services import contacts_search_refresh
from orders.models import Order, OrderLine, OrderStatus
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

CONTACTS = 200  # 2 whales, 20 companies
CENT = Decimal("0.01")


@pytest.fixture
def dataset(settings):
    settings.DEBUG = True
    call_command(Command(), "--contacts", str(CONTACTS), stdout=io.StringIO())


def test_counts_have_the_shape_of_the_sizes(dataset):
    assert Contact.objects.count() == CONTACTS
    assert Company.objects.count() == CONTACTS // 10
    assert Label.objects.count() == 50
    whales = Contact.objects.filter(orders_count=500)
    assert whales.count() == 2
    timelines = Activity.objects.filter(contact__in=whales).values("contact").annotate(n=Count("pk"))
    assert [timeline["n"] for timeline in timelines] == [2000, 2000]
    normal = Contact.objects.exclude(pk__in=whales)
    assert 2.5 <= Order.objects.filter(contact__in=normal).count() / normal.count() <= 3.5
    assert 4.5 <= Activity.objects.filter(contact__in=normal).count() / normal.count() <= 5.5
    lines_per_order = Counter(Order.objects.annotate(n=Count("lines")).values_list("n", flat=True))
    assert set(lines_per_order) == {1, 2, 3}
    assert 1.5 <= Contact.labels.through.objects.count() / CONTACTS <= 2.5
    assert 0.5 <= Membership.objects.count() / CONTACTS <= 0.7
    assert set(Membership.objects.values_list("portal_access", flat=True)) == set(MembershipAccess.values)
    assert set(Contact.objects.values_list("stage", flat=True)) == set(Stage.values)
    assert len(set(Contact.objects.values_list("marketing_consent", flat=True))) >= 3


def test_denormalised_columns_agree_with_orders_and_consent(dataset):
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.PLACED}
    contacts = Contact.objects.annotate(
        placed=Count("orders"), spent=Sum("orders__total"), last=Max("orders__placed_at")
    ).order_by("pk")
    for contact in contacts:
        assert contact.orders_count == contact.placed
        # SQLite sums decimals as floats; to the cent they agree.
        assert contact.total_spent == (contact.spent or Decimal(0)).quantize(CENT)
        assert contact.last_order_at == contact.last
        assert contact.stage == (Stage.CUSTOMER if contact.placed else Stage.LEAD)
        latest = ConsentRecord.objects.filter(contact=contact).order_by("-given_at", "-id").first()
        assert contact.marketing_consent == (latest.state if latest else ConsentState.NOT_SUBSCRIBED)
    for order in Order.objects.annotate(lines_total=Sum("lines__total"))[:200]:
        assert order.subtotal == order.lines_total
        assert order.total == order.subtotal + order.shipping + order.tax
    assert OrderLine.objects.filter(total=F("unit_price") * F("quantity")).count() == OrderLine.objects.count()


def test_emails_are_unique_ignoring_case_and_some_orders_use_another_case(dataset):
    assert Contact.objects.values(lower=Lower("email")).distinct().count() == CONTACTS
    variants = Order.objects.annotate(buyer=Lower("buyer_email"), own=Lower("contact__email")).filter(buyer=F("own"))
    assert variants.count() == Order.objects.count()
    assert variants.exclude(buyer_email=F("contact__email")).exists()


def test_phones_are_valid_e164(dataset):
    numbers = list(PhoneNumber.objects.values_list("number", flat=True))
    assert CONTACTS <= len(numbers) <= 2 * CONTACTS
    for number in numbers:
        parsed = phonenumbers.parse(number, None)
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number


def test_search_documents_are_what_the_services_compute(dataset):
    loaded = dict(Contact.objects.values_list("pk", "search_document"))
    contacts_search_refresh(contact_ids=loaded)
    assert dict(Contact.objects.values_list("pk", "search_document")) == loaded


def test_the_app_can_add_rows_after_the_load(dataset):
    # On PostgreSQL the explicit ids must have moved the sequences on.
    contact = ContactFactory()
    assert contact.pk > CONTACTS
    assert Label.objects.create(name="Added later").pk > 50


def test_refuses_a_database_that_holds_contacts(dataset):
    with pytest.raises(CommandError, match="already holds contacts"):
        call_command(Command(), "--contacts", str(CONTACTS))
    call_command(Command(), "--contacts", str(CONTACTS), "--if-empty", stdout=io.StringIO())
    assert Contact.objects.count() == CONTACTS


def test_refuses_to_run_without_debug_unless_told(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is false"):
        call_command(Command(), "--size", "S")
    ContactFactory()
    # Past the DEBUG check, it stops at the next one.
    with pytest.raises(CommandError, match="already holds contacts"):
        call_command(Command(), "--size", "S", "--yes-i-know")


def test_the_same_seed_builds_the_same_rows():
    def rows(seed: int) -> list:
        return list(Dataset(contacts=CONTACTS, seed=seed, vendor="sqlite").batches())

    assert rows(7) == rows(7)
    assert rows(7) != rows(8)


def test_keys_and_indexes_are_as_before_the_load(settings):
    # On PostgreSQL the load drops foreign keys and indexes and recreates them; they must all come back.
    def constraints() -> dict:
        with connection.cursor() as cursor:
            return {table: connection.introspection.get_constraints(cursor, table) for table, _ in TABLES.values()}

    before = constraints()
    settings.DEBUG = True
    call_command(Command(), "--contacts", str(CONTACTS), stdout=io.StringIO())
    assert constraints() == before
