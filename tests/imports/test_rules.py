"""The import's rules, through its services: what the dry run plans, and that the import writes exactly that."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from companies.models import Company, CompanyAccess, Membership, MembershipAccess
from crm_core.actors import SYSTEM, Actor
from customers import services as contact_services
from customers.export import cell
from customers.models import (
    Activity,
    ActivityKind,
    ConsentRecord,
    ConsentSource,
    ConsentState,
    Contact,
    Label,
    Source,
    Stage,
    SuggestedUpdate,
    SuggestionStatus,
)
from imports.models import ImportMode, ImportRun, RowAction
from imports.results import not_imported_csv
from imports.services import import_apply
from imports.services.erasure import ERASED
from tests.factories import CompanyFactory, ContactFactory, LabelFactory, PhoneNumberFactory
from tests.imports.support import apply, csv_bytes, dry_run, imported

pytestmark = pytest.mark.django_db
HEADER = ["First Name", "Last Name", "Email", "Phone", "Tags", "Default Address Company", "Default Address City"]


def rows_of(run):
    return {row.number: row for row in run.results.all()}


def test_the_dry_run_writes_nothing_and_the_import_writes_what_it_showed(staff_user):
    ann = ContactFactory(email="ann@x.example", first_name="Ann", last_name="Lee", city="York")
    before = ann.updated_at
    content = csv_bytes(
        [
            HEADER,
            ["Ann", "Lee-Smith", "ANN@x.example", "", "", "", ""],
            ["Bob", "Ray", "bob@x.example", "", "", "", "Leeds"],
        ]
    )
    run = dry_run(staff_user, content)
    assert run.counts == {"create": 1, "update": 1, "unchanged": 0, "skip": 0, "error": 0}
    rows = rows_of(run)
    assert rows[2].changes == [["Last name", "Lee", "Lee-Smith"]]
    assert rows[3].action == RowAction.CREATE
    assert Contact.objects.count() == 1
    ann.refresh_from_db()
    assert (ann.last_name, ann.updated_at) == ("Lee", before)
    assert not Activity.objects.filter(event="imported").exists()

    run = apply(run, staff_user)
    assert run.done == {"create": 1, "update": 1, "unchanged": 0, "skip": 0, "error": 0}
    ann.refresh_from_db()
    assert ann.last_name == "Lee-Smith"
    assert ann.city == "York"  # no column cleared it
    bob = Contact.objects.get(email="bob@x.example")
    assert (bob.first_name, bob.city, bob.source, bob.stage) == ("Bob", "Leeds", Source.IMPORT, Stage.LEAD)


def test_each_imported_contact_gets_one_timeline_entry_naming_the_import(staff_user):
    ContactFactory(email="ann@x.example", first_name="Ann")
    run = imported(
        staff_user,
        csv_bytes(
            [HEADER, ["Annie", "", "ann@x.example", "", "", "", "Hull"], ["Bo", "", "bo@x.example", "", "", "", ""]]
        ),
    )
    for email, first_line in [("ann@x.example", "Updated by"), ("bo@x.example", "Created as a lead by")]:
        entries = Activity.objects.filter(contact__email=email, kind=ActivityKind.EVENT)
        imports = [entry for entry in entries if entry.event == "imported"]
        assert len(imports) == 1
        assert imports[0].body.startswith(f"{first_line} Import #{run.pk} (contacts.csv)")
        assert imports[0].actor == staff_user
        assert imports[0].data == {"import": run.pk}
    # A new contact's entry is the only one: no separate "created" entry.
    assert Activity.objects.filter(contact__email="bo@x.example").count() == 1
    assert "Town or city: York" not in Activity.objects.get(contact__email="ann@x.example", event="imported").body


def test_empty_cells_never_blank_existing_values(staff_user):
    ann = ContactFactory(email="ann@x.example", first_name="Ann", last_name="Lee", city="York")
    PhoneNumberFactory(contact=ann, number="+447700900123")
    run = imported(staff_user, csv_bytes([HEADER, ["", "", "ann@x.example", "", "", "", ""]]))
    assert rows_of(run)[2].action == RowAction.UNCHANGED
    ann.refresh_from_db()
    assert (ann.first_name, ann.last_name, ann.city) == ("Ann", "Lee", "York")
    assert list(ann.phones.values_list("number", flat=True)) == ["+447700900123"]


def test_only_add_new_contacts_skips_those_already_here(staff_user):
    ContactFactory(email="ann@x.example", first_name="Ann")
    run = imported(staff_user, csv_bytes([HEADER, ["Other", "", "ann@x.example", "", "", "", ""]]), mode=ImportMode.ADD)
    row = rows_of(run)[2]
    assert row.action == RowAction.SKIP
    assert row.problems == ["Already a contact; the import is set to only add new contacts."]
    assert Contact.objects.get(email="ann@x.example").first_name == "Ann"


def test_locked_details_stay_and_what_the_row_would_change_becomes_suggestions(staff_user):
    ann = ContactFactory(email="ann@x.example", first_name="Ann", city="York", details_locked=True)
    PendingOld = SuggestedUpdate.objects.create(contact=ann, field="city", value="Hull", source_reference="Order #1")
    run = imported(staff_user, csv_bytes([HEADER, ["Annie", "", "ann@x.example", "07700 900123", "", "", "Leeds"]]))
    ann.refresh_from_db()
    assert (ann.first_name, ann.city, ann.phones.count()) == ("Ann", "York", 0)
    pending = {s.field: s.value for s in ann.suggested_updates.filter(status=SuggestionStatus.PENDING)}
    assert pending == {"first_name": "Annie", "city": "Leeds", "phone": "+447700900123"}
    assert {s.source_reference for s in ann.suggested_updates.filter(status=SuggestionStatus.PENDING)} == {
        run.reference
    }
    PendingOld.refresh_from_db()
    assert PendingOld.status == SuggestionStatus.DISMISSED  # the newer suggestion for the field replaces it
    assert ["First name (suggested: details are locked)", "Ann", "Annie"] in rows_of(run)[2].changes


def test_a_long_file_name_is_cut_in_the_suggestions_and_timeline_it_names(staff_user):
    ContactFactory(email="ann@x.example", first_name="Ann", details_locked=True)
    content = csv_bytes([HEADER, ["Annie", "", "ann@x.example", "", "", "", ""]])
    run = dry_run(staff_user, content)
    ImportRun.objects.filter(pk=run.pk).update(file_name="x" * 250 + ".csv")
    run.refresh_from_db()
    apply(run, staff_user)
    suggestion = SuggestedUpdate.objects.get(status=SuggestionStatus.PENDING)
    assert suggestion.source_reference == f"Import #{run.pk} ({'x' * 59}…)"


def test_an_email_twice_in_the_file_the_last_row_wins_and_the_earlier_is_reported(staff_user):
    content = csv_bytes(
        [
            HEADER,
            ["First", "", "dup@x.example", "", "", "", ""],
            ["Mid", "", "x@x.example", "", "", "", ""],
            ["Last", "", "DUP@x.example", "", "", "", ""],
        ]
    )
    run = imported(staff_user, content)
    rows = rows_of(run)
    assert rows[2].action == RowAction.SKIP
    assert rows[2].problems == ["Row 4 has the same email, and the last row with an email wins."]
    assert Contact.objects.get(email_normalized="dup@x.example").first_name == "Last"
    assert Contact.objects.count() == 2


def test_labels_and_companies_not_found_are_created_only_when_the_option_says_so(staff_user):
    LabelFactory(name="VIP")
    acme = CompanyFactory(name="Acme")
    content = csv_bytes(
        [
            HEADER,
            ["Ann", "", "ann@x.example", "", "vip, Brand new", "Nova Ltd", ""],
            ["Bob", "", "bob@x.example", "", "", "acme", ""],
        ]
    )
    run = imported(staff_user, content)
    ann = Contact.objects.get(email="ann@x.example")
    assert list(ann.labels.values_list("name", flat=True)) == ["VIP"]
    assert not Membership.objects.filter(contact=ann).exists()
    assert rows_of(run)[2].problems == [
        "Label “Brand new” does not exist, so it was not added (the import is set not to create labels).",
        "Company “Nova Ltd” does not exist, so it was not linked (the import is set not to create companies).",
    ]
    assert Membership.objects.get(contact__email="bob@x.example").company == acme
    assert not Label.objects.filter(name="Brand new").exists()
    assert not Company.objects.filter(name="Nova Ltd").exists()

    content = csv_bytes([HEADER, ["Cy", "", "cy@x.example", "", "Brand new", "Nova Ltd", ""]])
    imported(staff_user, content, create_missing=True)
    cy = Contact.objects.get(email="cy@x.example")
    assert list(cy.labels.values_list("name", flat=True)) == ["Brand new"]
    assert cy.memberships.get().company.name == "Nova Ltd"
    # Found by its company, like any member.
    assert "nova ltd" in cy.search_document


def test_a_company_permission_column_sets_the_link_and_the_company_default_is_kept_as_inherit(staff_user):
    CompanyFactory(name="Acme", default_portal_access=CompanyAccess.COMPANY)
    CompanyFactory(name="Beta", default_portal_access=CompanyAccess.PERSONAL)
    header = ["Email", "Company", "Portal permission"]
    run = dry_run(
        staff_user,
        csv_bytes(
            [
                header,
                ["a@x.example", "Acme", "Access all company's tickets"],
                ["b@x.example", "Beta", "company"],
                ["c@x.example", "Beta", "everything"],
            ]
        ),
        mapping={0: "email", 1: "company", 2: "portal_access"},
    )
    apply(run, staff_user)
    access = dict(Membership.objects.values_list("contact__email", "portal_access"))
    assert access == {
        "a@x.example": MembershipAccess.INHERIT,  # what Acme gives anyway
        "b@x.example": MembershipAccess.COMPANY,
        "c@x.example": MembershipAccess.INHERIT,
    }
    assert rows_of(run)[4].problems[0].startswith("Customer Portal permission “everything” not known")


def test_a_bad_phone_is_reported_and_the_rest_of_the_row_imported(staff_user):
    run = imported(
        staff_user,
        csv_bytes(
            [
                HEADER,
                ["Ann", "Lee", "ann@x.example", "12", "", "", "York"],
                ["Bo", "", "bo@x.example", "+44 7700 900123", "", "", ""],
            ]
        ),
    )
    assert rows_of(run)[2].problems == [
        "Phone 12 not imported: This number is too short. Enter it with its area code, "
        "like 07700 900123 or +44 7700 900123"
    ]
    ann = Contact.objects.get(email="ann@x.example")
    assert (ann.last_name, ann.city, ann.phones.count()) == ("Lee", "York", 0)
    # Possible numbers are accepted, as in the forms.
    assert list(Contact.objects.get(email="bo@x.example").phones.values_list("number", flat=True)) == ["+447700900123"]


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "This row has no email, so it cannot be matched or added."),
        ("not-an-email", "Enter an email address like name@example.com"),
    ],
)
def test_a_row_without_a_usable_email_is_an_error_and_writes_nothing(staff_user, email, message):
    run = imported(staff_user, csv_bytes([HEADER, ["Ann", "", email, "", "", "", ""]]))
    row = rows_of(run)[2]
    assert (row.action, row.problems) == (RowAction.ERROR, [message])
    assert not Contact.objects.exists()


def test_values_too_long_for_their_field_are_left_out_and_named(staff_user):
    run = imported(staff_user, csv_bytes([HEADER, ["x" * 100_000, "Lee", "ann@x.example", "", "", "", ""]]))
    assert rows_of(run)[2].problems == [
        "First name not imported: First name must be 150 characters or fewer (it has 100,000)"
    ]
    ann = Contact.objects.get(email="ann@x.example")
    assert (ann.first_name, ann.last_name) == ("", "Lee")


def test_formula_looking_cells_are_imported_as_text_and_defused_again_when_exported(staff_user):
    imported(
        staff_user,
        csv_bytes([HEADER, ['=HYPERLINK("http://x")', "+1", "f@x.example", "", "@SUM(A1)", "", "-2"]]),
        create_missing=True,
    )
    contact = Contact.objects.get(email="f@x.example")
    assert (contact.first_name, contact.last_name, contact.city) == ('=HYPERLINK("http://x")', "+1", "-2")
    assert contact.labels.get().name == "@SUM(A1)"
    assert cell(contact.first_name) == '\'=HYPERLINK("http://x")'


def test_consent_is_appended_with_the_files_date_and_source_import(staff_user):
    header = ["Email", "Marketing consent", "Marketing consent date", "Opt-in level"]
    run = imported(
        staff_user,
        csv_bytes(
            [header, ["a@x.example", "Subscribed", "2025-03-01", "Confirmed opt-in"], ["b@x.example", "yes", "", ""]]
        ),
    )
    record = ConsentRecord.objects.get(contact__email="a@x.example")
    assert (record.state, record.source, record.opt_in_level) == (
        ConsentState.SUBSCRIBED,
        ConsentSource.IMPORT,
        "confirmed",
    )
    assert timezone.localtime(record.given_at).date().isoformat() == "2025-03-01"
    other = ConsentRecord.objects.get(contact__email="b@x.example")
    assert abs(other.given_at - run.imported_at) < timedelta(minutes=1)  # no date in the file: the import's time
    assert Contact.objects.get(email="a@x.example").marketing_consent == ConsentState.SUBSCRIBED


def test_a_file_never_silently_upgrades_a_later_unsubscribe(staff_user):
    ann = ContactFactory(email="ann@x.example")
    contact_services.consent_record(
        contact=ann,
        state=ConsentState.UNSUBSCRIBED,
        source=ConsentSource.STAFF,
        given_at=datetime(2025, 6, 1, tzinfo=UTC),
        collected_how="Asked by phone",
        actor=SYSTEM,
    )
    header = ["Email", "Marketing consent", "Marketing consent date"]
    run = imported(staff_user, csv_bytes([header, ["ann@x.example", "Subscribed", "2025-03-01"]]))
    ann.refresh_from_db()
    assert ann.marketing_consent == ConsentState.UNSUBSCRIBED
    assert ann.consent_records.count() == 2  # the file's subscription is in the history
    assert rows_of(run)[2].problems == [
        "Email marketing stays Unsubscribed: that was recorded on 1 Jun 2025, later than the file's 1 Mar 2025. "
        "The file's Subscribed is kept in the history."
    ]
    # A later date in the file does change it.
    imported(staff_user, csv_bytes([header, ["ann@x.example", "Subscribed", "2025-07-01"]]))
    ann.refresh_from_db()
    assert ann.marketing_consent == ConsentState.SUBSCRIBED


def test_a_contact_changed_after_the_dry_run_is_reported_not_overwritten(staff_user):
    ann = ContactFactory(email="ann@x.example", first_name="Ann")
    run = dry_run(
        staff_user,
        csv_bytes(
            [HEADER, ["Annie", "", "ann@x.example", "", "", "", ""], ["New", "", "new@x.example", "", "", "", ""]]
        ),
    )
    contact_services.contact_update(contact=ann, actor=Actor.staff(staff_user), first_name="Anne")
    ContactFactory(email="new@x.example", first_name="Someone")
    run = apply(run, staff_user)
    rows = rows_of(run)
    assert (rows[2].applied, rows[2].outcome) == (
        "error",
        "Changed after the dry run, so it was not overwritten; run a new dry run to import it.",
    )
    assert rows[3].outcome == "A contact with this email was added after the dry run; run a new dry run to update it."
    assert Contact.objects.get(email="ann@x.example").first_name == "Anne"
    assert Contact.objects.get(email="new@x.example").first_name == "Someone"
    assert run.done["error"] == 2


def test_a_stage_only_moves_forward(staff_user):
    ContactFactory(email="lead@x.example", stage=Stage.LEAD)
    ContactFactory(email="customer@x.example", stage=Stage.CUSTOMER)
    header = ["Email", "Lifecycle Stage"]
    run = imported(
        staff_user,
        csv_bytes(
            [header, ["lead@x.example", "customer"], ["customer@x.example", "lead"], ["new@x.example", "opportunity"]]
        ),
    )
    stages = dict(Contact.objects.values_list("email", "stage"))
    assert stages == {"lead@x.example": "customer", "customer@x.example": "customer", "new@x.example": "lead"}
    assert rows_of(run)[3].problems == ["Stays a Customer: a stage only moves forward."]


def test_erasing_a_person_blanks_their_rows_in_the_import_log(staff_user):
    ContactFactory(email="bob@x.example", first_name="Bob")
    run = imported(
        staff_user,
        csv_bytes(
            [HEADER, ["Ann", "Lee", "ann@x.example", "12", "", "", ""], ["Bobby", "", "bob@x.example", "", "", "", ""]]
        ),
    )
    ann = Contact.objects.get(email="ann@x.example")
    contact_services.contact_erase(contact=ann, actor=Actor.staff(staff_user))
    rows = rows_of(run)
    assert (rows[2].email, rows[2].cells, rows[2].changes, rows[2].problems) == ("", [], [], [ERASED])
    assert rows[2].applied == RowAction.CREATE  # the counts still add up
    assert rows[3].email == "bob@x.example"
    assert "ann@x.example" not in "".join(not_imported_csv(run=run))


def test_a_note_column_adds_a_note_once(staff_user):
    content = csv_bytes([["Email", "Note"], ["ann@x.example", "Prefers email"]])
    imported(staff_user, content)
    run = imported(staff_user, content)
    assert rows_of(run)[2].action == RowAction.UNCHANGED
    assert list(Activity.objects.filter(kind=ActivityKind.NOTE).values_list("body", flat=True)) == ["Prefers email"]


def test_an_import_stopped_mid_way_goes_on_after_its_last_committed_batch(staff_user, monkeypatch):
    monkeypatch.setattr("imports.services.applying.BATCH_SIZE", 2)
    run = dry_run(
        staff_user, csv_bytes([HEADER, *([f"P{n}", "", f"p{n}@x.example", "", "", "", ""] for n in range(5))])
    )
    steps = []

    def step(processed, after):
        if len(steps) == 1:
            raise RuntimeError("worker killed")
        steps.append((processed, after))

    with pytest.raises(RuntimeError):
        contact_services_import_apply(run, staff_user, step)
    assert steps == [(2, 3)]
    assert Contact.objects.count() == 2  # the second batch rolled back with its step
    contact_services_import_apply(
        run, staff_user, lambda processed, after: steps.append((processed, after)), after=3, processed=2
    )
    assert steps == [(2, 3), (4, 5), (5, 6)]
    assert Contact.objects.count() == 5
    run.refresh_from_db()
    assert run.done["create"] == 5


def contact_services_import_apply(run, user, step, **cursor):
    return import_apply(run=run, actor=Actor.staff(user), step=step, **cursor)
