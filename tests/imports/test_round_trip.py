"""Round trips: this app's Full export imported into an empty database and into its own, and Shopify's and HubSpot's
published columns landing where those tools mean them."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from companies.models import Company
from customers.export import FULL, SHOPIFY, export_csv
from customers.models import Activity, ConsentChannel, ConsentRecord, ConsentState, Contact, Label, SuggestedUpdate
from imports.mapping import mapping_guess
from orders.models import Order
from tests.factories import UserFactory
from tests.imports.support import csv_bytes, dry_run, imported
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent.parent / "fixtures"
SHOPIFY_HEADER = (FIXTURES / "shopify-customers-export-header.csv").read_text().strip().split(",")
# What a contacts import cannot carry over: the ids and creation dates of the new rows, the source (every
# contact it adds is "Import", as the consent records it appends are), and the totals counted from orders.
OF_THE_IMPORT = ("Contact ID", "Created", "Source", "Orders", "Total spent", "Last order")
CONSENT_SOURCE = re.compile(r"\((Staff|Checkout|Contact form|Import),")


def full_export() -> str:
    return "".join(export_csv(contacts=Contact.objects.live(), columns=FULL))


def comparable(text: str) -> list[dict[str, str]]:
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        for name in OF_THE_IMPORT:
            row.pop(name)
        row["Marketing consent history"] = CONSENT_SOURCE.sub("(source,", row["Marketing consent history"])
        rows.append(row)
    return sorted(rows, key=lambda row: row["Email"].lower())


@pytest.fixture
def seeded():
    call_command("seed_demo", stdout=io.StringIO())
    return full_export()


def test_a_full_export_imported_into_an_empty_database_exports_the_same_file(seeded):
    Ticket.objects.all().delete()
    Order.objects.all().delete()
    Contact.objects.all().delete()
    Company.objects.all().delete()
    Label.objects.all().delete()
    user = UserFactory(username="importer", role="Staff")
    run = imported(user, seeded.encode(), create_missing=True)
    assert run.counts["error"] == 0
    assert run.done["create"] == 200
    again = full_export()
    assert comparable(again) == comparable(seeded)
    assert next(csv.reader(io.StringIO(again))) == next(csv.reader(io.StringIO(seeded)))


def test_the_same_export_imported_back_into_its_own_database_changes_nothing(seeded):
    user = UserFactory(username="importer", role="Staff")
    writes = (Activity.objects.count(), ConsentRecord.objects.count(), SuggestedUpdate.objects.count())
    versions = dict(Contact.objects.values_list("pk", "updated_at"))
    run = imported(user, seeded.encode())
    assert run.counts == {"create": 0, "update": 0, "unchanged": 200, "skip": 0, "error": 0}
    assert [row.problems for row in run.results.exclude(problems=[])] == []
    assert (Activity.objects.count(), ConsentRecord.objects.count(), SuggestedUpdate.objects.count()) == writes
    assert dict(Contact.objects.values_list("pk", "updated_at")) == versions
    assert full_export() == seeded


def test_the_shopify_compatible_export_imported_back_changes_nothing(seeded):
    user = UserFactory(username="importer", role="Staff")
    shopify = "".join(export_csv(contacts=Contact.objects.live(), columns=SHOPIFY))
    run = dry_run(user, shopify.encode())
    assert run.counts["update"] == 0
    assert run.counts["unchanged"] == 200


def test_every_column_of_shopifys_customer_export_lands_where_shopify_means_it():
    user = UserFactory(username="importer", role="Staff")
    values = {
        "Customer ID": "'7290012345",
        "First Name": "Ada",
        "Last Name": "Lovelace",
        "Email": "ada@example.com",
        "Accepts Email Marketing": "yes",
        "Default Address Company": "Analytical Engines",
        "Default Address Address1": "12 St James's Square",
        "Default Address Address2": "Flat 2",
        "Default Address City": "London",
        "Default Address Province Code": "ENG",
        "Default Address Country Code": "GB",
        "Default Address Zip": "SW1Y 4JH",
        "Default Address Phone": "'+442079460000",
        "Phone": "'+447700900123",
        "Accepts SMS Marketing": "yes",
        "Total Spent": "120.50",
        "Total Orders": "3",
        "Note": "Met at the Babbage lecture",
        "Tax Exempt": "no",
        "Tags": "vip, newsletter",
    }
    assert list(values) == SHOPIFY_HEADER
    run = imported(user, csv_bytes([SHOPIFY_HEADER, list(values.values())]), create_missing=True)
    assert run.done["create"] == 1
    ada = Contact.objects.get(email="ada@example.com")
    assert (ada.first_name, ada.last_name) == ("Ada", "Lovelace")
    assert (ada.address_line1, ada.address_line2, ada.city) == ("12 St James's Square", "Flat 2", "London")
    assert (ada.region, ada.country, ada.postal_code) == ("ENG", "GB", "SW1Y 4JH")
    assert list(ada.phones.values_list("number", flat=True)) == ["+442079460000", "+447700900123"]
    assert ada.marketing_consent == ConsentState.SUBSCRIBED
    assert ada.consent_records.get(channel=ConsentChannel.SMS).state == ConsentState.SUBSCRIBED
    assert ada.memberships.get().company.name == "Analytical Engines"
    assert sorted(ada.labels.values_list("name", flat=True)) == ["newsletter", "vip"]
    assert ada.activities.filter(kind="note").get().body == "Met at the Babbage lecture"
    # Totals come from orders, never from a file.
    assert (ada.orders_count, ada.total_spent) == (0, 0)


def test_shopifys_import_template_and_hubspots_export_are_recognised():
    template = [name for name in SHOPIFY_HEADER if name not in ("Customer ID", "Total Spent", "Total Orders")]
    fields = set(mapping_guess(template).values())
    assert fields == set(mapping_guess(SHOPIFY_HEADER).values())
    hubspot = [
        "Record ID",
        "First Name",
        "Last Name",
        "Email",
        "Phone Number",
        "Mobile Phone Number",
        "Company Name",
        "Street Address",
        "City",
        "State/Region",
        "Postal Code",
        "Country/Region",
        "Lifecycle Stage",
        "Contact owner",
        "Create Date",
    ]
    assert mapping_guess(hubspot) == {
        1: "first_name",
        2: "last_name",
        3: "email",
        4: "phone",
        5: "phone",
        6: "company",
        7: "address_line1",
        8: "city",
        9: "region",
        10: "postal_code",
        11: "country",
        12: "stage",
    }


def test_a_hubspot_export_imports_with_country_names_and_lifecycle_stages():
    user = UserFactory(username="importer", role="Staff")
    header = [
        "Record ID",
        "First Name",
        "Last Name",
        "Email",
        "Phone Number",
        "Company Name",
        "Country/Region",
        "Lifecycle Stage",
    ]
    rows = [
        header,
        ["101", "Grace", "Hopper", "grace@example.com", "+1 202 555 0143", "Navy", "United States", "customer"],
        ["102", "Alan", "Turing", "alan@example.com", "", "", "Atlantis", "lead"],
    ]
    run = imported(user, csv_bytes(rows), create_missing=True)
    grace = Contact.objects.get(email="grace@example.com")
    assert (grace.country, grace.stage, grace.memberships.get().company.name) == ("US", "customer", "Navy")
    assert list(grace.phones.values_list("number", flat=True)) == ["+12025550143"]
    alan_row = run.results.get(email="alan@example.com")
    assert alan_row.problems == [
        "Country not imported: “Atlantis” is not a country this app knows; use its two-letter code, like GB"
    ]
