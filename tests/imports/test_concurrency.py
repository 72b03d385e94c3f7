"""Imports at the same moment as other writes, each thread on its own database connection.

On PostgreSQL the threads truly race; on SQLite (a test database file shared by the threads) writers queue.
"""

import pytest

from crm_core.actors import Actor
from customers import services as contact_services
from customers.models import Contact
from customers.services import ContactChanged
from imports.models import ImportRow
from tests.factories import ContactFactory, UserFactory
from tests.imports.support import apply, csv_bytes, dry_run
from tests.orders.test_concurrency import DATABASES, racing
from tests.tickets.test_concurrency import at_once

HEADER = ["First Name", "Email"]


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_two_imports_of_the_same_new_people_at_once_add_each_person_once(database):
    user = UserFactory(username="ann", role="Staff")
    people = [[f"Person {n}", f"p{n}@x.example"] for n in range(40)]
    runs = [dry_run(user, csv_bytes([HEADER, *people])) for _ in range(2)]
    _, errors = at_once(lambda run: apply(run, user), runs)
    assert errors == []
    assert Contact.objects.count() == 40
    created = ImportRow.objects.filter(applied="create").count()
    refused = ImportRow.objects.filter(applied="error")
    assert created == 40
    assert refused.count() == 40
    assert {row.outcome for row in refused} == {
        "A contact with this email was added after the dry run; run a new dry run to update it."
    }


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_an_import_and_a_staff_edit_of_the_same_contact_at_once_never_lose_either(database):
    user = UserFactory(username="ann", role="Staff")
    ann = ContactFactory(email="ann@x.example", first_name="Ann")
    run = dry_run(user, csv_bytes([HEADER, ["Imported", "ann@x.example"]]))
    version = Contact.objects.get(pk=ann.pk).updated_at

    def work(which):
        if which == "import":
            return apply(run, user)
        contact = Contact.objects.get(pk=ann.pk)
        try:
            contact_services.contact_update(
                contact=contact, actor=Actor.staff(user), version=version, first_name="Edited"
            )
        except ContactChanged:
            return "edit refused"
        return "edited"

    results, errors = at_once(work, ["import", "edit"])
    assert errors == []
    row = ImportRow.objects.get(run=run)
    name = Contact.objects.get(pk=ann.pk).first_name
    if "edited" in results:
        # The edit went first: the import saw the new version and left the contact alone.
        assert (name, row.applied) == ("Edited", "error")
        assert row.outcome.startswith("Changed after the dry run")
    else:
        # The import went first: the edit, opened before it, was refused as stale.
        assert "edit refused" in results
        assert (name, row.applied) == ("Imported", "update")
