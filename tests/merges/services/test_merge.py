"""The merge service: everything moves to the survivor in one go, the email stays an alias, undo restores both."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from companies.models import Membership, MembershipAccess
from crm_core.actors import SHOP, Actor
from customers.models import (
    Activity,
    ConsentRecord,
    ConsentSource,
    ConsentState,
    Contact,
    EmailAlias,
    PhoneNumber,
    Stage,
    SuggestedUpdate,
)
from customers.search import contacts_matching
from customers.selectors import contact_live_by_email
from customers.services import consent_record, contact_erase, contacts_trash, note_add, suggestions_add
from merges.models import Merge
from merges.services.merge import MERGED, MergeChoices, MergeRefused, contacts_merge
from merges.services.undo import merge_snapshots_expire, merge_undo, merge_undo_offered
from orders.models import Order
from orders.payload import placed_order_from_payload
from orders.services import order_sync_placed
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LabelFactory,
    MembershipFactory,
    OrderFactory,
    PhoneNumberFactory,
    UserFactory,
)
from tests.orders.test_payload import order_payload
from tests.tickets.support import ticket_for
from tickets.models import Message

pytestmark = pytest.mark.django_db


def _versions(*contacts: Contact) -> dict[int, object]:
    return {contact.pk: Contact.objects.get(pk=contact.pk).updated_at for contact in contacts}


def merge(survivor: Contact, merged: Contact, actor: Actor | None = None, **choices) -> Merge:
    return contacts_merge(
        survivor_id=survivor.pk,
        merged_id=merged.pk,
        choices=MergeChoices(**choices),
        versions=_versions(survivor, merged),
        actor=actor or Actor.staff(UserFactory(role="Manager")),
    )


@pytest.fixture
def pair():
    """Ann at work (a lead with a note) and Ann at home (a customer with orders, a ticket, consent)."""
    work = ContactFactory(first_name="Ann", last_name="Lee", email="ann@work.example", stage=Stage.LEAD)
    home = ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@home.example", stage=Stage.CUSTOMER)
    actor = Actor.staff(UserFactory())
    note_add(contact=work, body="Called about the mugs", actor=actor)
    for total in ("20.00", "30.00"):
        OrderFactory(contact=home, total=Decimal(total))
    Contact.objects.filter(pk=home.pk).update(orders_count=2, total_spent=Decimal("50.00"))
    ticket_for(home)
    now = timezone.now()
    consent_record(
        contact=work,
        state=ConsentState.SUBSCRIBED,
        source=ConsentSource.STAFF,
        given_at=now - timedelta(days=2),
        collected_how="Phone call",
        actor=actor,
    )
    consent_record(
        contact=home,
        state=ConsentState.UNSUBSCRIBED,
        source=ConsentSource.STAFF,
        given_at=now - timedelta(days=1),
        collected_how="Asked by mail",
        actor=actor,
    )
    return work, home


def test_everything_of_the_merged_contact_moves_to_the_survivor(pair):
    work, home = pair
    moved_activities = Activity.objects.filter(contact=home).count()
    done = merge(work, home)
    survivor = Contact.objects.get(pk=work.pk)
    assert not Contact.objects.filter(pk=home.pk).exists()
    assert Order.objects.filter(contact=survivor).count() == 2
    assert survivor.tickets.count() == 1
    assert Message.objects.filter(author_contact=survivor).count() == 1
    assert ConsentRecord.objects.filter(contact=survivor).count() == 2
    # Totals recomputed from the orders, the stage a customer's, the consent the latest record's.
    assert (survivor.orders_count, survivor.total_spent, survivor.stage) == (2, Decimal("50.00"), Stage.CUSTOMER)
    assert survivor.marketing_consent == ConsentState.UNSUBSCRIBED
    entry = Activity.objects.filter(contact=survivor).order_by("-created_at", "-id").first()
    assert entry.event == "merged"
    assert entry.body.startswith("Merged with Ann Lee <ann.lee@home.example>")
    assert Activity.objects.filter(contact=survivor).count() >= moved_activities + 2
    assert done.merged_email == "ann.lee@home.example"
    assert list(survivor.aliases.values_list("email", flat=True)) == ["ann.lee@home.example"]


def test_the_merged_email_finds_the_survivor_everywhere(pair):
    work, home = pair
    merge(work, home)
    assert contact_live_by_email(email=" ANN.LEE@home.example ") == work
    assert list(contacts_matching(Contact.objects.live(), "ann.lee@home")) == [work]
    result = order_sync_placed(
        data=placed_order_from_payload(order_payload(id="9901", email="ann.lee@home.example")), actor=SHOP
    )
    assert result.contact.pk == work.pk
    assert Contact.objects.filter(email_normalized="ann.lee@home.example").count() == 0


def test_phones_labels_and_companies_are_united(pair):
    work, home = pair
    PhoneNumberFactory(contact=work, number="+447700900001")
    PhoneNumberFactory(contact=home, number="+447700900001")
    PhoneNumberFactory(contact=home, number="+447700900002")
    vip, wholesale = LabelFactory(name="VIP"), LabelFactory(name="Wholesale")
    work.labels.add(vip)
    home.labels.add(vip, wholesale)
    shared, own = CompanyFactory(name="Acme"), CompanyFactory(name="Globex")
    MembershipFactory(contact=work, company=shared, portal_access=MembershipAccess.PERSONAL)
    MembershipFactory(contact=home, company=shared, portal_access=MembershipAccess.COMPANY)
    MembershipFactory(contact=home, company=own)
    merge(work, home, access={shared.pk: MembershipAccess.INHERIT})
    assert list(PhoneNumber.objects.filter(contact=work).values_list("number", flat=True)) == [
        "+447700900001",
        "+447700900002",
    ]
    assert set(work.labels.values_list("name", flat=True)) == {"VIP", "Wholesale"}
    links = {link.company.name: link.portal_access for link in Membership.objects.filter(contact=work)}
    assert links == {"Acme": MembershipAccess.INHERIT, "Globex": MembershipAccess.INHERIT}


def test_a_shared_company_keeps_the_more_recent_links_permission_unless_chosen(pair):
    work, home = pair
    shared = CompanyFactory()
    MembershipFactory(contact=work, company=shared, portal_access=MembershipAccess.PERSONAL)
    MembershipFactory(contact=home, company=shared, portal_access=MembershipAccess.COMPANY)
    merge(work, home)
    assert Membership.objects.get(contact=work).portal_access == MembershipAccess.COMPANY


def test_the_chosen_values_are_kept_field_by_field(pair):
    work, home = pair
    Contact.objects.filter(pk=home.pk).update(first_name="Annie", city="Leeds")
    merge(work, home, fields={"name": MERGED, "email": MERGED})
    survivor = Contact.objects.get(pk=work.pk)
    assert (survivor.first_name, survivor.email) == ("Annie", "ann.lee@home.example")
    # The address was not chosen: the survivor's (empty) stays.
    assert survivor.city == ""
    assert list(survivor.aliases.values_list("email", flat=True)) == ["ann@work.example"]
    assert contact_live_by_email(email="ann@work.example") == survivor


def test_suggestions_and_earlier_aliases_move_too(pair):
    work, home = pair
    EmailAlias.objects.create(contact=home, email="ann@old.example")
    suggestions_add(suggested={home.pk: {"city": "York"}}, source_reference="Order #1")
    merge(work, home)
    assert SuggestedUpdate.objects.get().contact_id == work.pk
    assert set(work.aliases.values_list("email", flat=True)) == {"ann.lee@home.example", "ann@old.example"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("itself", "cannot be merged with itself"),
        ("trashed", "is in the Trash"),
        ("erased", "erased contact cannot be merged"),
        ("gone", "no longer exists"),
    ],
)
def test_bad_merges_are_refused_and_change_nothing(pair, change, message):
    work, home = pair
    manager = Actor.staff(UserFactory(role="Manager"))
    versions = _versions(work, home)
    other = home.pk
    if change == "itself":
        other = work.pk
    elif change == "trashed":
        contacts_trash(contacts=Contact.objects.filter(pk=home.pk), actor=manager)
    elif change == "erased":
        contact_erase(contact=home, actor=manager)
    else:
        other = home.pk + 1000
    before = (Order.objects.filter(contact=home).count(), Activity.objects.filter(contact=work).count())
    with pytest.raises(MergeRefused, match=message):
        contacts_merge(survivor_id=work.pk, merged_id=other, choices=MergeChoices(), versions=versions, actor=manager)
    assert (Order.objects.filter(contact=home).count(), Activity.objects.filter(contact=work).count()) == before
    assert not Merge.objects.exists()


def test_a_contact_changed_since_the_preview_is_refused_as_stale(pair):
    work, home = pair
    versions = _versions(work, home)
    Contact.objects.filter(pk=home.pk).update(city="Leeds", updated_at=timezone.now())
    with pytest.raises(MergeRefused) as refused:
        contacts_merge(survivor_id=work.pk, merged_id=home.pk, choices=MergeChoices(), versions=versions, actor=SHOP)
    assert refused.value.stale
    assert Contact.objects.filter(pk=home.pk).exists()


def test_undo_restores_both_contacts_as_they_were(pair):
    work, home = pair
    PhoneNumberFactory(contact=home, number="+447700900002")
    label = LabelFactory(name="VIP")
    home.labels.add(label)
    MembershipFactory(contact=home)
    before = {
        contact.pk: (
            Contact.objects.filter(pk=contact.pk)
            .values("email", "first_name", "stage", "orders_count", "created_at")
            .get(),
            Order.objects.filter(contact=contact).count(),
            Activity.objects.filter(contact=contact).count(),
            ConsentRecord.objects.filter(contact=contact).count(),
            list(PhoneNumber.objects.filter(contact=contact).values_list("number", flat=True)),
            list(contact.labels.values_list("name", flat=True)),
            Membership.objects.filter(contact=contact).count(),
        )
        for contact in (work, home)
    }
    done = merge(work, home, fields={"email": MERGED})
    assert merge_undo_offered(contact=work) == done
    merge_undo(merge=done, actor=SHOP)
    after = {
        contact.pk: (
            Contact.objects.filter(pk=contact.pk)
            .values("email", "first_name", "stage", "orders_count", "created_at")
            .get(),
            Order.objects.filter(contact=contact).count(),
            # Each has one entry more: "Merge undone".
            Activity.objects.filter(contact=contact).exclude(event="merge_undone").count(),
            ConsentRecord.objects.filter(contact=contact).count(),
            list(PhoneNumber.objects.filter(contact=contact).values_list("number", flat=True)),
            list(contact.labels.values_list("name", flat=True)),
            Membership.objects.filter(contact=contact).count(),
        )
        for contact in (work, home)
    }
    assert after == before
    assert not EmailAlias.objects.exists()
    assert Contact.objects.get(pk=home.pk).marketing_consent == ConsentState.UNSUBSCRIBED
    assert Contact.objects.get(pk=work.pk).marketing_consent == ConsentState.SUBSCRIBED
    assert merge_undo_offered(contact=work) is None


def test_undo_is_refused_once_something_new_is_recorded_on_the_survivor(pair):
    work, home = pair
    done = merge(work, home)
    order_sync_placed(data=placed_order_from_payload(order_payload(id="9902", email="ann@work.example")), actor=SHOP)
    assert merge_undo_offered(contact=work) is None
    with pytest.raises(MergeRefused, match="can no longer be undone"):
        merge_undo(merge=done, actor=SHOP)
    assert not Contact.objects.filter(pk=home.pk).exists()


def test_undo_is_refused_after_the_window_and_the_snapshot_is_forgotten(pair):
    work, home = pair
    done = merge(work, home)
    Merge.objects.filter(pk=done.pk).update(merged_at=timezone.now() - timedelta(days=2))
    assert merge_snapshots_expire().startswith("Closed the undo window of 1 merge")
    done.refresh_from_db()
    assert done.snapshot == {}
    with pytest.raises(MergeRefused):
        merge_undo(merge=done, actor=SHOP)


def test_erasing_the_survivor_erases_the_merge_record_and_the_aliases(pair):
    work, home = pair
    merge(work, home)
    contact_erase(contact=Contact.objects.get(pk=work.pk), actor=SHOP)
    # The record kept both people's details for undo; the erasure's generic walk of what hangs off the contact.
    assert not Merge.objects.exists()
    assert not EmailAlias.objects.exists()


def test_the_chores_queue_the_finder_and_close_undo_windows(pair):
    from jobs.models import Job
    from jobs.registry import chores

    work, home = pair
    done = merge(work, home)
    Merge.objects.filter(pk=done.pk).update(merged_at=timezone.now() - timedelta(hours=25))
    by_name = {chore.name: chore for chore in chores()}
    assert by_name["find_duplicates"].run().startswith("Queued the duplicate finder")
    assert Job.objects.get().kind == "duplicates_find"
    assert by_name["merge_undo_expire"].run() == "Closed the undo window of 1 merge"
    assert Merge.objects.get().snapshot == {}
