"""merges/services/pairs.py: dismissing a pair (once, either way round, never a contact with itself) and the job."""

import pytest

from crm_core.actors import Actor
from jobs.models import Job, JobStatus
from merges.models import Dismissal, DuplicatePair
from merges.services import FINDER, finder_job_queue, pair_dismiss
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_dismissing_stores_the_pair_lower_id_first_and_removes_its_suggestion():
    user = UserFactory(role="Staff")
    one, two = ContactFactory(), ContactFactory()
    DuplicatePair.objects.create(contact=one, other=two, reasons=["phone"])
    dismissal = pair_dismiss(contact=two, other=one, actor=Actor.staff(user))
    assert (dismissal.contact_id, dismissal.other_id, dismissal.dismissed_by) == (one.pk, two.pk, user)
    assert not DuplicatePair.objects.exists()


def test_dismissing_twice_keeps_one_dismissal():
    actor = Actor.staff(UserFactory(role="Staff"))
    one, two = ContactFactory(), ContactFactory()
    first = pair_dismiss(contact=one, other=two, actor=actor)
    assert pair_dismiss(contact=two, other=one, actor=actor) == first
    assert Dismissal.objects.count() == 1


def test_a_contact_is_never_dismissed_as_a_duplicate_of_itself():
    contact = ContactFactory()
    with pytest.raises(ValueError, match="itself"):
        pair_dismiss(contact=contact, other=contact, actor=Actor.staff(UserFactory(role="Staff")))
    assert not Dismissal.objects.exists()


def test_the_finder_job_is_queued_for_the_person_who_asked(django_capture_on_commit_callbacks):
    user = UserFactory(role="Staff")
    with django_capture_on_commit_callbacks() as callbacks:
        job = finder_job_queue(user=user)
    assert (job.kind, job.user, job.status) == (FINDER, user, JobStatus.QUEUED)
    assert Job.objects.get() == job
    assert len(callbacks) == 1
