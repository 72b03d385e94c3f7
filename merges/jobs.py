"""The merges app's background work: the duplicate finder as a job, and its chores (the daily finder, undo's end)."""

import time
from datetime import timedelta

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import pluralize

from jobs.registry import Chore, JobKind, register, register_chore
from jobs.services import JobRun, job_queue
from merges.finder import STEPS, pairs_find
from merges.services.pairs import FINDER
from merges.services.undo import merge_snapshots_expire


def _found(count: int, seconds: float) -> str:
    return f"Found {intcomma(count)} possible duplicate pair{pluralize(count)} in {seconds:.1f} s."


def finder_run(run: JobRun) -> str:
    """Run the finder over every contact, reporting each rule done as progress."""
    started = time.monotonic()
    run.begin(total=STEPS)
    # No cursor: a run taken up again starts over, since the pairs are only stored once all rules ran.
    count = pairs_find(on_progress=lambda done, _total: run.step(processed=done, cursor={}))
    return _found(count, time.monotonic() - started)


def _finder_chore() -> str:
    # Queued as the button's job is, so every run shows on the Jobs page and as the list's "Last checked".
    job = job_queue(kind=FINDER, user=None, params={})
    return f"Queued the duplicate finder (job {job.pk})"


def register_jobs() -> None:
    """Tell the jobs app about this app's job kinds and chores (called from MergesConfig.ready)."""
    register(JobKind(FINDER, "Find possible duplicates", "customers.view_contact", finder_run))
    # Daily, so the list follows the address book without anyone asking; the button runs it at once.
    register_chore(Chore("find_duplicates", timedelta(days=1), _finder_chore))
    # Hourly: a merge's undo window closes after 24 hours, and with it what undo kept of both contacts.
    register_chore(Chore("merge_undo_expire", timedelta(hours=1), merge_snapshots_expire))
