"""Every list and detail page issues a fixed number of queries, whatever the number of rows it shows."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from customers.models import Activity
from orders.models import Order
from orders.selectors import CONTACT_ORDERS_SHOWN
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LabelFactory,
    MembershipFactory,
    OrderConflictFactory,
    OrderFactory,
    OrderLineFactory,
    PhoneNumberFactory,
)
from tests.tickets.support import ticket_for

pytestmark = pytest.mark.django_db

# Every signed-in request starts with these four.
REQUEST = [
    "session",
    "user",
    "the user's own permissions",
    "the user's group permissions",
]


# On PostgreSQL each count first asks the planner for its estimate (see crm_core.pagination.count_rows).
ESTIMATE = ["  preceded by the planner's estimate"] if connection.vendor == "postgresql" else []
# On SQLite a search of three characters or more first asks whether the term is common (customers.search),
# and a label filter whether the label is on many contacts (customers.filters).
SEARCH_PROBE = ["whether the search term is in many contacts"] if connection.vendor == "sqlite" else []
LABEL_PROBE = ["whether the label is on many contacts"] if connection.vendor == "sqlite" else []


def contact_with_everything(company=None):
    contact = ContactFactory()
    PhoneNumberFactory(contact=contact)
    contact.labels.add(LabelFactory())
    MembershipFactory(contact=contact, company=company or CompanyFactory())
    return contact


@pytest.mark.parametrize("rows", [1, 50])
def test_contact_list(manager_client, django_assert_num_queries, settings, rows):
    settings.LIST_PAGE_SIZE = rows
    # One more than the largest page, so every page size has a next page and the count is asked for.
    for _ in range(51):
        contact_with_everything()
    expected = [
        *REQUEST,
        "the page of contacts (one more row than shown, to know whether there is a next page)",
        "their phones",
        "their labels",
        "their companies",
        *ESTIMATE,
        "the tabs (All, Customers, Leads): matching contacts of each stage, counted at once up to the limit",
        "the labels for the filter panel and the bulk bar",
    ]
    with django_assert_num_queries(len(expected)):
        response = manager_client.get(reverse("customers:list"))
    assert len(response.context["page"].rows) == rows


def test_contact_list_whose_first_page_holds_every_match_counts_its_tabs_from_the_page(
    manager_client, django_assert_num_queries
):
    contact_with_everything()
    ContactFactory(stage="customer")
    expected = [
        *REQUEST,
        "the page of contacts, which has no next page: the tabs are counted from its rows",
        "their phones",
        "their labels",
        "their companies",
        "the labels for the filter panel and the bulk bar",
    ]
    with django_assert_num_queries(len(expected)):
        response = manager_client.get(reverse("customers:list"))
    counts = response.context["counts"]
    assert (counts["all"].value, counts["customer"].value, counts["lead"].value) == (2, 1, 1)
    assert all(count.exact for count in counts.values())


@pytest.mark.parametrize("rows", [1, 50])
def test_contact_list_searched_and_filtered_by_label(manager_client, django_assert_num_queries, settings, rows):
    settings.LIST_PAGE_SIZE = rows
    label = LabelFactory()
    for _ in range(51):
        contact_with_everything().labels.add(label)
    expected = [
        *REQUEST,
        "the chosen labels, checked by the filter form",
        *SEARCH_PROBE,
        *LABEL_PROBE,
        "the page of contacts (search and label filter are subqueries of this one query)",
        "their phones",
        "their labels",
        "their companies",
        *ESTIMATE,
        "the tabs: contacts matching the search and label, of each stage, counted at once up to the limit",
        "the labels for the filter panel and the bulk bar",
    ]
    with django_assert_num_queries(len(expected)):
        response = manager_client.get(reverse("customers:list"), {"q": "example", "labels": label.pk})
    assert len(response.context["page"].rows) == rows


CONTACT_PAGE = [
    *REQUEST,
    "the contact",
    "its phones",
    "every label, each saying whether the contact has it (its labels box and the Add label picker)",
    "its pending suggested updates",
    "its latest email consent records with their staff",
    "its companies",
    "its latest orders",
    "its latest tickets with their companies",
    "its email aliases",
    "its possible duplicates stored by the finder's last run, with the other contacts",
    "the merge into it that could be undone (Managers)",
    "the first page of its activity with actors",
]


@pytest.mark.parametrize("rows", [1, 50])
def test_contact_page(manager_client, django_assert_num_queries, rows):
    contact = ContactFactory()
    for index in range(rows):
        PhoneNumberFactory(contact=contact)
        contact.labels.add(LabelFactory())
        LabelFactory()
        MembershipFactory(contact=contact)
        OrderFactory(contact=contact)
        ticket_for(contact)
        contact.activities.create(kind="note", body=f"Note {index}")
        contact.suggested_updates.create(field="city", value=f"City {index}", source_reference="Order #1")
        contact.consent_records.create(state="subscribed", source="staff", given_at=timezone.now())
    with django_assert_num_queries(len(CONTACT_PAGE)):
        response = manager_client.get(reverse("customers:detail", args=[contact.pk]))
    assert response.status_code == 200
    assert len(response.context["orders"]) == min(rows, CONTACT_ORDERS_SHOWN)
    assert response.content.decode().count("from Order #1") == rows


@pytest.mark.parametrize("phones", [1, 5])
def test_contact_edit_page_with_phones_labels_and_companies(manager_client, django_assert_num_queries, phones):
    contact = ContactFactory()
    PhoneNumberFactory.create_batch(phones, contact=contact)
    for _ in range(phones):
        contact.labels.add(LabelFactory())
        MembershipFactory(contact=contact)
    expected = [
        *REQUEST,
        "the contact",
        "its phones",
        "its labels",
        "its companies with their names",
        "the labels to choose from",
    ]
    with django_assert_num_queries(len(expected)):
        response = manager_client.get(reverse("customers:update", args=[contact.pk]))
    form = response.context["form"]
    assert (len(form.phones.forms), len(form.companies.forms), len(form["labels"].initial)) == (phones,) * 3


@pytest.mark.parametrize("rows", [1, 50])
def test_company_list(manager_client, django_assert_num_queries, rows):
    for _ in range(rows):
        MembershipFactory()
    expected = [*REQUEST, "count for the paginator", "the page of companies with member counts"]
    with django_assert_num_queries(len(expected)):
        response = manager_client.get(reverse("companies:list"))
    assert len(response.context["page_obj"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_company_page(manager_client, django_assert_num_queries, rows):
    company = CompanyFactory()
    for _ in range(rows):
        member = MembershipFactory(company=company).contact
        ticket_for(member, company=company)
    expected = [
        *REQUEST,
        "the company",
        "its members with their contacts",
        "what each member sees in the portal: the members with company-wide access",
        "the company's tickets, counted",
        "each member's own tickets in it, counted",
        "its latest tickets with their requesters",
    ]
    with django_assert_num_queries(len(expected)):
        response = manager_client.get(reverse("companies:detail", args=[company.pk]))
    assert len(response.context["memberships"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_order_list(manager_client, django_assert_num_queries, rows):
    OrderFactory.create_batch(rows)
    expected = [*REQUEST, "count for the paginator", "the page of orders with their contacts"]
    with django_assert_num_queries(len(expected)):
        response = manager_client.get(reverse("orders:list"))
    assert len(response.context["page_obj"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_order_page(manager_client, django_assert_num_queries, rows):
    order = OrderFactory()
    OrderLineFactory.create_batch(rows, order=order)
    OrderConflictFactory.create_batch(rows, order=order)
    expected = [*REQUEST, "the order with its contact", "its lines", "the later deliveries that differed from it"]
    with django_assert_num_queries(len(expected)):
        response = manager_client.get(reverse("orders:detail", args=[order.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [1, 50])
def test_label_list(manager_client, django_assert_num_queries, rows):
    for _ in range(rows):
        label = LabelFactory()
        ContactFactory().labels.add(label)
        ContactFactory(deleted_at=timezone.now()).labels.add(label)
    expected = [*REQUEST, "the labels with their live contact counts"]
    with django_assert_num_queries(len(expected)):
        response = manager_client.get(reverse("customers:label_list"))
    assert [label.contact_count for label in response.context["labels"]] == [1] * rows


@pytest.mark.parametrize("rows", [1, 500])
def test_contact_page_of_a_whale_costs_the_same_as_a_new_customer(manager_client, django_assert_num_queries, rows):
    """500 orders and 2,000 activity entries: the page shows the latest of each, in the same queries."""
    contact = ContactFactory()
    orders = OrderFactory.build_batch(rows, contact=contact)
    Order.objects.bulk_create(orders)
    Activity.objects.bulk_create(
        Activity(contact=contact, kind="event", event="order_placed", body=f"Order {n} placed") for n in range(rows * 4)
    )
    with django_assert_num_queries(len(CONTACT_PAGE)):
        response = manager_client.get(reverse("customers:detail", args=[contact.pk]))
    assert len(response.context["activity"].entries) == min(rows * 4, 50)
    assert len(response.context["orders"]) == min(rows, CONTACT_ORDERS_SHOWN)
