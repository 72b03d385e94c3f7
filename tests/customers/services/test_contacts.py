"""customers.services.contacts: creating and editing a contact, locking and unlocking its details, images."""

import re

import pytest
from django.utils import timezone
from PIL import Image

from crm_core.actors import SYSTEM, Actor, ActorKind
from customers.images import image_process
from customers.models import Activity, Contact, Source, Stage
from customers.services import (
    ContactChanged,
    EmailTaken,
    PhoneInput,
    contact_create,
    contact_phone_add,
    contact_restore,
    contact_unlock,
    contact_update,
)
from tests.factories import ContactFactory, LabelFactory, UserFactory
from tests.images import png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def actor():
    return Actor.staff(UserFactory())


def test_a_contact_created_by_staff_is_a_manual_lead_and_its_log_says_who():
    user = UserFactory()
    contact = contact_create(email="ann@example.com", actor=Actor.staff(user))
    assert (contact.stage, contact.source) == (Stage.LEAD, Source.MANUAL)
    event = contact.activities.get()
    assert (event.event, event.actor, event.actor_kind) == ("created", user, ActorKind.STAFF)


def test_contact_create_keeps_phones_in_order():
    contact = contact_create(
        email="ann@example.com",
        actor=SYSTEM,
        phones=[PhoneInput("+442071838750", "work"), PhoneInput("+447700900123", "mobile")],
    )
    assert [(p.number, p.label) for p in contact.phones.all()] == [
        ("+442071838750", "work"),
        ("+447700900123", "mobile"),
    ]


def test_editing_details_locks_them_and_records_old_and_new():
    contact = ContactFactory(first_name="Ann", city="Leeds")
    contact_update(contact=contact, actor=Actor.staff(UserFactory()), first_name="Anne", city="Leeds")
    contact.refresh_from_db()
    assert contact.details_locked is True
    event = contact.activities.get(event="edited")
    assert event.data["changes"] == {"first_name": ["Ann", "Anne"]}


def test_changing_only_the_stage_does_not_lock_the_details():
    contact = ContactFactory()
    contact_update(contact=contact, actor=SYSTEM, stage=Stage.CUSTOMER)
    contact.refresh_from_db()
    assert (contact.stage, contact.details_locked) == (Stage.CUSTOMER, False)


def test_an_update_that_changes_nothing_records_nothing():
    contact = ContactFactory(first_name="Ann")
    contact_update(contact=contact, actor=SYSTEM, first_name="Ann")
    assert not contact.activities.exists()
    assert Contact.objects.get(pk=contact.pk).details_locked is False


def test_changing_phones_locks_the_details():
    contact = ContactFactory()
    contact_update(contact=contact, actor=SYSTEM, phones=[PhoneInput("+442071838750")])
    contact.refresh_from_db()
    assert contact.details_locked is True
    assert list(contact.phones.values_list("number", flat=True)) == ["+442071838750"]


def test_unlocking_locked_details_records_who_did_it():
    user = UserFactory()
    contact = ContactFactory(details_locked=True)
    assert contact_unlock(contact=contact, actor=Actor.staff(user)) is True
    contact.refresh_from_db()
    assert contact.details_locked is False
    event = contact.activities.get()
    assert (event.event, event.actor) == ("details_unlocked", user)


def test_unlocking_details_that_are_not_locked_records_nothing():
    contact = ContactFactory(details_locked=False)
    assert contact_unlock(contact=contact, actor=SYSTEM) is False
    assert not contact.activities.exists()


def test_an_update_from_an_older_version_is_refused_and_changes_nothing():
    contact = ContactFactory(first_name="Ann")
    opened = contact.updated_at
    contact_update(contact=contact, actor=SYSTEM, first_name="Theirs")
    stale = Contact.objects.get(pk=contact.pk)
    with pytest.raises(ContactChanged) as raised:
        contact_update(contact=stale, actor=SYSTEM, version=opened, first_name="Mine")
    assert raised.value.updated_at == Contact.objects.get(pk=contact.pk).updated_at
    assert Contact.objects.get(pk=contact.pk).first_name == "Theirs"
    assert contact.activities.filter(event="edited").count() == 1


def test_an_update_from_the_current_version_is_applied():
    contact = ContactFactory(first_name="Ann")
    contact_update(contact=contact, actor=SYSTEM, version=contact.updated_at, first_name="Anne")
    assert Contact.objects.get(pk=contact.pk).first_name == "Anne"


def test_a_phone_added_by_an_order_makes_an_open_edit_form_stale():
    contact = ContactFactory()
    version = contact.updated_at
    contact_phone_add(contact=contact, number="+447700900123")
    with pytest.raises(ContactChanged):
        contact_update(contact=contact, actor=SYSTEM, version=version, first_name="Late")


def test_a_created_contact_stores_its_image_and_thumbnail_under_generated_names(actor):
    contact = contact_create(email="ann@example.com", actor=actor, image=image_process(png_upload("../../x.png")))
    stored = Contact.objects.get(pk=contact.pk)
    assert re.fullmatch(r"contacts/[0-9a-f]{32}\.png", stored.image.name)
    assert re.fullmatch(r"contacts/[0-9a-f]{32}\.png", stored.image_thumbnail.name)
    assert stored.image.name != stored.image_thumbnail.name
    with Image.open(stored.image_thumbnail.path) as thumbnail:
        assert thumbnail.size == (160, 160)
    assert not stored.details_locked


def test_a_new_image_locks_the_details_replaces_the_files_and_is_recorded(actor, django_capture_on_commit_callbacks):
    contact = contact_create(email="ann@example.com", actor=actor, image=image_process(png_upload()))
    old_path = Contact.objects.get(pk=contact.pk).image.path
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(contact=contact, actor=actor, image=image_process(png_upload(colour="red")))
    stored = Contact.objects.get(pk=contact.pk)
    assert stored.details_locked
    assert stored.image.path != old_path
    assert not (contact.image.storage.exists(old_path))
    assert (
        Activity.objects.filter(contact=contact, event="edited")
        .latest("id")
        .body.endswith("Contact image: an image → a new image")
    )


def test_removing_the_image_deletes_its_files_after_the_commit(actor, django_capture_on_commit_callbacks):
    contact = contact_create(email="ann@example.com", actor=actor, image=image_process(png_upload()))
    names = [contact.image.name, contact.image_thumbnail.name]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        contact_update(contact=contact, actor=actor, remove_image=True)
    storage = contact.image.storage
    assert all(storage.exists(name) for name in names), "files stay until the transaction commits"
    for callback in callbacks:
        callback()
    assert not any(storage.exists(name) for name in names)
    stored = Contact.objects.get(pk=contact.pk)
    assert (stored.image.name, stored.image_thumbnail.name, stored.details_locked) == ("", "", True)


def test_removing_an_image_that_is_not_there_changes_nothing(actor):
    contact = ContactFactory()
    contact_update(contact=contact, actor=actor, remove_image=True)
    assert not Contact.objects.get(pk=contact.pk).details_locked
    assert not Activity.objects.filter(contact=contact, event="edited").exists()


def test_changing_labels_in_the_form_records_each_one_and_does_not_lock(actor):
    keep, drop, new = LabelFactory(name="Keep"), LabelFactory(name="Drop"), LabelFactory(name="New")
    contact = ContactFactory()
    contact.labels.add(keep, drop)
    contact_update(contact=Contact.objects.get(pk=contact.pk), actor=actor, labels=[keep, new])
    assert set(contact.labels.values_list("name", flat=True)) == {"Keep", "New"}
    events = set(Activity.objects.filter(contact=contact).values_list("event", "body"))
    assert events == {("label_added", "Label New added"), ("label_removed", "Label Drop removed")}
    assert not Contact.objects.get(pk=contact.pk).details_locked


def test_restoring_a_trashed_contact_brings_it_back_and_records_who(actor):
    contact = ContactFactory(deleted_at=timezone.now())
    contact_restore(contact=contact, actor=actor)
    assert Contact.objects.live().filter(pk=contact.pk).exists()
    assert Activity.objects.get(contact=contact, event="restored").actor == actor.user


def test_restoring_is_refused_when_a_live_contact_now_has_the_email(actor):
    trashed = ContactFactory(email="ann@example.com", deleted_at=timezone.now())
    live = ContactFactory(email="ANN@example.com ")
    with pytest.raises(EmailTaken) as taken:
        contact_restore(contact=trashed, actor=actor)
    assert taken.value.existing == live
    assert Contact.objects.get(pk=trashed.pk).deleted_at is not None
