"""manage.py purge_trash: contacts past TRASH_DAYS go for good, batch by batch; orders stay."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm_core import batching
from customers.models import Contact
from tests.customers.support.trash import contact_with_everything
from tests.factories import (
    ContactFactory,
)

pytestmark = pytest.mark.django_db


def test_purge_trash_deletes_contacts_trashed_before_the_cutoff_only(settings):
    settings.TRASH_DAYS = 30
    old = contact_with_everything(deleted_at=timezone.now() - timedelta(days=31))
    recent = ContactFactory(deleted_at=timezone.now() - timedelta(days=29))
    live = ContactFactory()
    out = io.StringIO()
    call_command("purge_trash", stdout=out)
    assert set(Contact.objects.all()) == {recent, live}
    assert not Contact.objects.filter(pk=old.pk).exists()
    summary = out.getvalue()
    assert "Deleted 1 contacts in the Trash since before" in summary
    assert "1 phone numbers" in summary
    assert "Kept, no longer linked to a contact: 1 orders." in summary


def test_purge_trash_dry_run_deletes_nothing(settings):
    settings.TRASH_DAYS = 30
    ContactFactory.create_batch(2, deleted_at=timezone.now() - timedelta(days=40))
    out = io.StringIO()
    call_command("purge_trash", "--dry-run", stdout=out)
    assert out.getvalue().startswith("2 contacts in the Trash since before")
    assert "would be deleted permanently" in out.getvalue()
    assert Contact.objects.count() == 2


def test_purge_trash_commits_batch_by_batch(monkeypatch, settings):
    monkeypatch.setattr(batching, "BATCH_SIZE", 2)
    ContactFactory.create_batch(5, deleted_at=timezone.now() - timedelta(days=40))
    out = io.StringIO()
    call_command("purge_trash", verbosity=2, stdout=out)
    assert not Contact.objects.exists()
    assert out.getvalue().count("deleted so far") == 3


def test_purge_trash_with_nothing_due_says_so():
    out = io.StringIO()
    call_command("purge_trash", stdout=out)
    assert out.getvalue().startswith("Nothing to delete")
