"""The contacts list's filters, sort orders and keyset pages, read from a query string."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from crm_core.pagination import keyset_page
from customers import filters
from customers.filters import ContactListQuery
from customers.models import ConsentState, Contact, Source, Stage
from tests.factories import CompanyFactory, ContactFactory, LabelFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def listing(query_string: str) -> ContactListQuery:
    return ContactListQuery.from_params(QueryDict(query_string), contacts=Contact.objects.live())


def emails(query_string: str) -> set[str]:
    return set(listing(query_string).contacts.values_list("email", flat=True))


@pytest.fixture
def vip():
    return LabelFactory(name="VIP")


@pytest.fixture
def wholesale():
    return LabelFactory(name="Wholesale")


def test_no_filter_shows_every_live_contact():
    ContactFactory(email="a@x.example")
    ContactFactory(email="b@x.example", deleted_at=timezone.now())
    assert emails("") == {"a@x.example"}


def test_stage():
    ContactFactory(email="lead@x.example", stage=Stage.LEAD)
    ContactFactory(email="customer@x.example", stage=Stage.CUSTOMER)
    assert emails("stage=customer") == {"customer@x.example"}
    assert emails("stage=lead") == {"lead@x.example"}


def test_labels_any_of_and_all_of(vip, wholesale):
    ContactFactory(email="both@x.example").labels.add(vip, wholesale)
    ContactFactory(email="vip@x.example").labels.add(vip)
    ContactFactory(email="none@x.example")
    assert emails(f"labels={vip.pk}") == {"both@x.example", "vip@x.example"}
    assert emails(f"labels={vip.pk}&labels={wholesale.pk}") == {"both@x.example", "vip@x.example"}
    assert emails(f"labels={vip.pk}&labels={wholesale.pk}&labels_match=all") == {"both@x.example"}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="The plan choice is SQLite's; PostgreSQL's planner makes it.")
@pytest.mark.parametrize("common", [False, True])
def test_sqlite_probes_a_common_label_with_exists_and_gathers_a_rare_one_and_both_find_the_same(
    monkeypatch, vip, wholesale, common
):
    monkeypatch.setattr(filters, "SQLITE_COMMON_MATCHES", 2 if common else 100)
    ContactFactory(email="both@x.example").labels.add(vip, wholesale)
    ContactFactory(email="vip@x.example").labels.add(vip)
    ContactFactory(email="wholesale@x.example").labels.add(wholesale)
    ContactFactory(email="none@x.example")
    sql = str(listing(f"labels={vip.pk}").contacts.query)
    assert ("EXISTS" in sql) is common
    assert emails(f"labels={vip.pk}") == {"both@x.example", "vip@x.example"}
    assert emails(f"labels={vip.pk}&labels={wholesale.pk}") == {
        "both@x.example",
        "vip@x.example",
        "wholesale@x.example",
    }
    assert emails(f"labels={vip.pk}&labels={wholesale.pk}&labels_match=all") == {"both@x.example"}
    assert emails(f"labels={vip.pk}&stage=customer") == set()


def test_a_contact_with_two_chosen_labels_is_listed_once(vip, wholesale):
    ContactFactory(email="both@x.example").labels.add(vip, wholesale)
    assert list(listing(f"labels={vip.pk}&labels={wholesale.pk}").contacts.values_list("email", flat=True)) == [
        "both@x.example"
    ]


def test_company_by_part_of_its_name():
    MembershipFactory(contact=ContactFactory(email="acme@x.example"), company=CompanyFactory(name="Acme Ltd"))
    MembershipFactory(contact=ContactFactory(email="other@x.example"), company=CompanyFactory(name="Other"))
    assert emails("company=ACME") == {"acme@x.example"}


def test_consent_source_orders_and_lock():
    ContactFactory(
        email="match@x.example",
        marketing_consent=ConsentState.SUBSCRIBED,
        source=Source.ORDER,
        orders_count=2,
        details_locked=True,
    )
    ContactFactory(email="other@x.example")
    assert emails("consent=subscribed") == {"match@x.example"}
    assert emails("source=order") == {"match@x.example"}
    assert emails("has_orders=yes") == {"match@x.example"}
    assert emails("has_orders=no") == {"other@x.example"}
    assert emails("locked=yes") == {"match@x.example"}
    assert emails("locked=no") == {"other@x.example"}


def test_created_between_includes_both_days():
    today = timezone.localdate()
    ContactFactory(email="old@x.example", created_at=timezone.now() - timedelta(days=10))
    ContactFactory(email="new@x.example")
    Contact.objects.filter(email="old@x.example").update(created_at=timezone.now() - timedelta(days=10))
    assert emails(f"created_from={today}") == {"new@x.example"}
    assert emails(f"created_to={today - timedelta(days=10)}") == {"old@x.example"}
    assert emails(f"created_from={today - timedelta(days=10)}&created_to={today}") == {
        "old@x.example",
        "new@x.example",
    }


def test_filters_combine_with_search(vip):
    ContactFactory(email="ann@x.example", first_name="Ann", stage=Stage.CUSTOMER).labels.add(vip)
    ContactFactory(email="ann@y.example", first_name="Ann", stage=Stage.LEAD).labels.add(vip)
    ContactFactory(email="bob@x.example", first_name="Bob", stage=Stage.CUSTOMER).labels.add(vip)
    assert emails(f"q=ann&stage=customer&labels={vip.pk}") == {"ann@x.example"}


@pytest.mark.parametrize(
    ("query_string", "problem"),
    [
        ("stage=boss", "Stage"),
        ("labels=999999", "Labels"),
        ("labels=abc", "Labels"),
        ("consent=maybe", "Marketing consent"),
        ("created_from=2026-13-45", "Created from"),
        ("q=a%00b", "Search contacts"),
        ("sort=;%20DROP%20TABLE%20x", "Sort order"),
        ("cursor=not-a-cursor", "page link"),
        ("page=-1", "Page"),
    ],
)
def test_a_bad_part_is_ignored_and_reported_and_the_rest_still_applies(query_string, problem):
    ContactFactory(email="customer@x.example", source=Source.ORDER)
    ContactFactory(email="lead@x.example", source=Source.MANUAL)
    query = listing(f"{query_string}&source=order")
    assert any(problem in text for text in query.problems)
    # The bad part filters nothing out, and the good filter beside it still does.
    assert set(query.contacts.values_list("email", flat=True)) == {"customer@x.example"}


@pytest.mark.parametrize(
    ("query_string", "problem"),
    [
        # The day after it is beyond the calendar, for either end of the range.
        ("created_to=9999-12-31", "Created to: “9999-12-31” is not a valid date. It was ignored."),
        ("created_from=9999-12-31", "Created from: “9999-12-31” is not a valid date. It was ignored."),
        # The same words as for a date that is not one at all.
        ("created_from=2026-13-45", "Created from: “2026-13-45” is not a valid date. It was ignored."),
        # Beyond 64 bits, the words for an id no label has (labels=999999).
        ("labels=9223372036854775808", "Labels: Select a valid choice. 9223372036854775808 is not one of the"),
        ("labels=-9223372036854775809", "Labels: Select a valid choice. -9223372036854775809 is not one of the"),
        (f"labels={'9' * 40}", f"Labels: Select a valid choice. {'9' * 40} is not one of the"),
        ("labels=1e5", "Labels: “1e5” is not a valid value. It was ignored."),
    ],
)
def test_a_value_beyond_what_the_database_holds_is_ignored_and_named_like_any_bad_value(query_string, problem):
    ContactFactory(email="customer@x.example", source=Source.ORDER)
    ContactFactory(email="lead@x.example", source=Source.MANUAL)
    query = listing(f"{query_string}&source=order")
    assert any(problem in text for text in query.problems), query.problems
    assert set(query.contacts.values_list("email", flat=True)) == {"customer@x.example"}


def test_the_first_day_of_the_calendar_is_a_date_in_utc_but_not_east_of_it(settings):
    ContactFactory(email="a@x.example")
    assert listing("created_from=0001-01-01").problems == []
    assert emails("created_from=0001-01-01&created_to=0001-01-01") == set()
    # Tokyo is nine hours ahead of UTC, so in UTC its day starts in the year 0, which no datetime holds.
    settings.TIME_ZONE = "Asia/Tokyo"
    query = listing("created_from=0001-01-01")
    assert query.problems == ["Created from: “0001-01-01” is not a valid date. It was ignored."]
    assert set(query.contacts.values_list("email", flat=True)) == {"a@x.example"}


def test_a_bad_stage_is_ignored_but_a_good_filter_beside_it_still_applies():
    ContactFactory(email="order@x.example", source=Source.ORDER)
    ContactFactory(email="manual@x.example", source=Source.MANUAL)
    query = listing("stage=boss&source=order")
    assert set(query.contacts.values_list("email", flat=True)) == {"order@x.example"}
    assert query.problems == ["Stage: Select a valid choice. boss is not one of the available choices. It was ignored."]


def test_pills_read_on_their_own_and_each_removes_only_itself(vip, wholesale):
    query = listing(f"q=ann&labels={vip.pk}&labels={wholesale.pk}&stage=lead&sort=name")
    pills = dict(query.pill_links)
    assert set(pills) == {"Search: ann", "Label: VIP", "Label: Wholesale", "Stage: Lead"}
    assert QueryDict(pills["Label: VIP"][1:]).getlist("labels") == [str(wholesale.pk)]
    assert QueryDict(pills["Search: ann"][1:]).get("q") is None
    assert QueryDict(pills["Search: ann"][1:]).get("sort") == "name"


def test_sort_links_toggle_direction_and_mark_the_current_column():
    links = listing("sort=name").sort_links
    assert links["name"] == {"url": "?sort=-name", "aria_sort": "ascending"}
    assert links["email"]["aria_sort"] == ""
    assert links["created"]["url"] == "?"  # newest first is the default, so no parameter
    assert listing("").sort_links["created"] == {"url": "?sort=created", "aria_sort": "descending"}


def walk(query_string: str, size: int) -> tuple[list[str], list[str]]:
    """Page forwards to the end, then backwards to the start, returning the emails in each direction."""
    query = listing(query_string)
    forwards, page = [], keyset_page(query.contacts, ordering=query.ordering, size=size)
    forwards += [contact.email for contact in page.rows]
    while page.has_next:
        query = listing(f"{query_string}&cursor={page.next_cursor}")
        page = keyset_page(query.contacts, ordering=query.ordering, size=size, cursor=query.cursor)
        forwards += [contact.email for contact in page.rows]
    backwards = [contact.email for contact in page.rows]
    while page.has_previous:
        query = listing(f"{query_string}&cursor={page.previous_cursor}")
        page = keyset_page(query.contacts, ordering=query.ordering, size=size, cursor=query.cursor)
        backwards = [contact.email for contact in page.rows] + backwards
    return forwards, backwards


@pytest.mark.parametrize("sort", ["-created", "created", "name", "-name", "email", "-total_spent", "last_order"])
def test_every_sort_pages_through_ties_without_repeating_or_skipping_a_row(sort):
    moment = timezone.now()
    for index in range(11):
        # Everything ties, so only the id decides the order within each sort key.
        ContactFactory(
            email=f"p{index:02d}@x.example",
            first_name="Same",
            last_name="Name",
            total_spent=Decimal("5.00"),
            last_order_at=moment if index % 2 else None,
        )
    Contact.objects.update(created_at=moment)
    forwards, backwards = walk(f"sort={sort}", size=3)
    assert len(forwards) == 11
    assert len(set(forwards)) == 11
    assert backwards == forwards


def test_last_order_puts_contacts_who_never_ordered_last_newest_first():
    now = timezone.now()
    ContactFactory(email="never@x.example")
    ContactFactory(email="old@x.example", last_order_at=now - timedelta(days=3))
    ContactFactory(email="recent@x.example", last_order_at=now)
    forwards, _ = walk("sort=-last_order", size=1)
    assert forwards == ["recent@x.example", "old@x.example", "never@x.example"]
    forwards, _ = walk("sort=last_order", size=2)
    assert forwards == ["never@x.example", "old@x.example", "recent@x.example"]


def test_names_sort_by_last_name_then_first_name():
    ContactFactory(email="b@x.example", first_name="Bea", last_name="Adams")
    ContactFactory(email="a@x.example", first_name="Al", last_name="Adams")
    ContactFactory(email="c@x.example", first_name="Aaron", last_name="Baker")
    forwards, _ = walk("sort=name", size=2)
    assert forwards == ["a@x.example", "b@x.example", "c@x.example"]


def test_the_last_page_is_a_full_page_at_the_end_and_previous_pages_lead_back_to_the_start():
    for index in range(7):
        ContactFactory(email=f"p{index}@x.example")
    query = listing("page=last")
    page = keyset_page(query.contacts, ordering=query.ordering, size=3, last=query.last)
    assert [contact.email for contact in page.rows] == ["p2@x.example", "p1@x.example", "p0@x.example"]
    assert (page.has_previous, page.has_next) == (True, False)
    query = listing(f"cursor={page.previous_cursor}")
    page = keyset_page(query.contacts, ordering=query.ordering, size=3, cursor=query.cursor)
    assert [contact.email for contact in page.rows] == ["p5@x.example", "p4@x.example", "p3@x.example"]
    assert (page.has_previous, page.has_next) == (True, True)
    query = listing(f"cursor={page.previous_cursor}")
    page = keyset_page(query.contacts, ordering=query.ordering, size=3, cursor=query.cursor)
    assert [contact.email for contact in page.rows] == ["p6@x.example"]
    assert (page.has_previous, page.has_next) == (False, True)


@pytest.mark.parametrize("sort", ["-created", "created", "name", "-name", "email", "-total_spent", "-last_order"])
def test_every_sort_reads_its_index_in_order_instead_of_sorting_the_table(sort):
    Contact.objects.bulk_create(Contact(email=f"p{index}@x.example") for index in range(2000))
    query = listing(f"sort={sort}")
    nullable = [Contact._meta.get_field(name).null for name in query.ordering.fields]
    page_query = query.contacts.order_by(*query.ordering.order_by(nullable=nullable))[:51]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "postgresql":
            # Make sorting the last resort, so a plan that still sorts has no index that gives this order.
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_incremental_sort = off")
    plan = page_query.explain()
    assert "Sort" not in plan
    assert "TEMP B-TREE" not in plan
