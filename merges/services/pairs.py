"""Writes about possible duplicates: a pair staff say is two people, and queueing the finder's run."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from crm_core.actors import Actor
from customers.models import Contact
from jobs.models import Job
from jobs.services import job_queue
from merges.models import Dismissal, DuplicatePair

FINDER = "duplicates_find"


@transaction.atomic
def pair_dismiss(*, contact: Contact, other: Contact, actor: Actor) -> Dismissal:
    """Record that two contacts are two people, so the finder never suggests them again; idempotent."""
    if contact.pk == other.pk:
        raise ValueError("A contact cannot be dismissed as a duplicate of itself")
    # Stored once, the lower id first, whichever way round staff saw the pair.
    low, high = sorted((contact.pk, other.pk))
    DuplicatePair.objects.filter(contact_id=low, other_id=high).delete()
    existing = Dismissal.objects.filter(contact_id=low, other_id=high).first()
    if existing is not None:
        return existing
    try:
        # A savepoint: two people dismissing the same pair at once both succeed, one row is kept.
        with transaction.atomic():
            return Dismissal.objects.create(contact_id=low, other_id=high, dismissed_by=actor.user)
    except IntegrityError:
        return Dismissal.objects.get(contact_id=low, other_id=high)


@transaction.atomic
def finder_job_queue(*, user: AbstractBaseUser) -> Job:
    """Queue a run of the duplicate finder over all contacts (merges/jobs.py runs it)."""
    return job_queue(kind=FINDER, user=user, params={})
