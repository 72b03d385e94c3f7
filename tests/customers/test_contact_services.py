"""Services behind the contact form: image, labels and restore from the Trash."""

import re

import pytest
from django.utils import timezone
from PIL import Image

from crm_core.actors import Actor
from customers.images import image_process
from customers.models import Activity, Contact
from customers.services import EmailTaken, contact_create, contact_restore, contact_update
from tests.factories import ContactFactory, LabelFactory, UserFactory
from tests.images import png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def actor():
    return Actor.staff(UserFactory())


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
