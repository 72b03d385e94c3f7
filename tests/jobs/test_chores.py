"""jobs.chores: the worker's own schedule. One chain of ticks, each chore once per period, and by hand."""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from customers.models import Contact
from jobs.chores import TICK, chores_run, chores_schedule
from jobs.models import ChoreClock
from tests.factories import ContactFactory
from tests.jobs.support import run_queued

pytestmark = pytest.mark.django_db


def _ticks():
    return DBTaskResult.objects.filter(task_path="jobs.tasks.run_chores", status="READY")


def test_scheduling_starts_one_chain_and_a_second_call_adds_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert chores_schedule() is True
        assert chores_schedule() is False
    assert _ticks().count() == 1


def test_a_tick_does_what_is_due_and_queues_the_next_one_tick_later(settings, django_capture_on_commit_callbacks):
    settings.TRASH_DAYS = 30
    old = ContactFactory(deleted_at=timezone.now() - timedelta(days=31))
    recent = ContactFactory(deleted_at=timezone.now() - timedelta(days=1))
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        done = chores_run(now=now)
    assert "Purged 1 contact from the Trash" in done
    assert "Removed 0 expired job files" in done
    assert not Contact.objects.filter(pk=old.pk).exists()
    assert Contact.objects.filter(pk=recent.pk).exists()
    [tick] = _ticks()
    assert tick.run_after == now + timedelta(seconds=settings.CHORES_TICK_SECONDS)
    # The next tick, a minute on: the daily purge is not due again, the hourly file clean-up neither.
    later = now + timedelta(seconds=settings.CHORES_TICK_SECONDS)
    with django_capture_on_commit_callbacks(execute=True):
        assert chores_run(now=later) == []
    assert ChoreClock.objects.get(name="purge_trash").next_run_at == now + timedelta(days=1)


def test_a_duplicate_tick_ends_without_queueing_another(django_capture_on_commit_callbacks):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        chores_run(now=now)
        # A second tick for the same moment finds its clock moved on: it does nothing and the chain stays one.
        assert chores_run(now=now) == []
    assert _ticks().count() == 1


def test_a_broken_chain_is_started_again(settings, django_capture_on_commit_callbacks):
    long_ago = timezone.now() - timedelta(hours=1)
    ChoreClock.objects.create(name=TICK, next_run_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert chores_schedule() is True
    assert _ticks().count() == 1


def test_the_worker_runs_the_tick_it_was_given(django_capture_on_commit_callbacks):
    ContactFactory(deleted_at=timezone.now() - timedelta(days=400))
    with django_capture_on_commit_callbacks(execute=True):
        chores_schedule()
    run_queued(limit=1)
    assert Contact.objects.count() == 0


def test_every_chore_can_be_run_by_hand():
    ContactFactory(deleted_at=timezone.now() - timedelta(days=400))
    out = StringIO()
    call_command("chores", stdout=out)
    assert "Purged 1 contact from the Trash" in out.getvalue()
    assert Contact.objects.count() == 0


def test_the_engines_records_of_old_finished_tasks_are_pruned_and_recent_ones_kept(settings):
    from jobs.chores import task_results_prune
    from jobs.tasks import run_chores

    old, recent, waiting = (run_chores.enqueue().id for _ in range(3))
    DBTaskResult.objects.filter(pk=old).update(
        status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=settings.TASK_RESULTS_DAYS + 1)
    )
    DBTaskResult.objects.filter(pk=recent).update(status="SUCCESSFUL", finished_at=timezone.now())
    assert task_results_prune() == f"Pruned the task records finished over {settings.TASK_RESULTS_DAYS} days ago"
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {uuid.UUID(recent), uuid.UUID(waiting)}
