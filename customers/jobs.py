"""The contacts app's background work: export to a file, add or remove a label, delete to the Trash, and its chores.

Each job kind reads what it works on from the job's params as they were when asked, and resolves the
selection again when it runs: the contacts it acts on are those the selection means then, and the summary
says so when that differs from the count the person saw. Label and delete jobs walk the selection in
primary-key batches; each batch's writes and the job's cursor commit together, so a job taken up again
after its worker died goes on after the last batch that committed and never does one twice. An export is
written whole to a temporary file and saved under the job's own name, so running it again replaces the
file with the same content.
"""

import tempfile
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import QuerySet
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from crm_core.actors import SYSTEM
from crm_core.batching import pk_batches
from customers import selectors
from customers.export import export_csv, export_filename
from customers.models import Contact, ExportLog, Label
from customers.selection import ContactSelection
from customers.services.background import EXPORT, LABEL_ADD, LABEL_REMOVE, TRASH
from customers.services.labels import contacts_label_add, contacts_label_remove
from customers.services.trash import contacts_trash, trash_purge_due
from jobs.outbox import mail_queue
from jobs.registry import Chore, JobKind, register, register_chore
from jobs.services import JobFailed, JobRun


def _contacts(count: int) -> str:
    return f"{intcomma(count)} contact{pluralize(count)}"


def _begin(run: JobRun) -> tuple[QuerySet[Contact], str]:
    """Start the run on the selection as it is now: its contacts, and a note if their count has changed."""
    contacts = ContactSelection.from_described(run.params["selection"]).contacts(contacts=selectors.contacts_live())
    total = contacts.count()
    run.begin(total=total)
    asked = run.params.get("count")
    if asked is None or asked == total:
        return contacts, ""
    return (
        contacts,
        f" The selection matched {_contacts(total)} when the job ran ({intcomma(asked)} when it was asked for).",
    )


def export_run(run: JobRun) -> str:
    """Write the selection's CSV to the exports storage, record the file, and mail the person that it is ready."""
    actor = run.asker()
    contacts, note = _begin(run)
    log = ExportLog.objects.get(pk=run.params["log"])
    # The audit entry names the job that wrote the file.
    log.filters = {**log.filters, "job": run.job.pk}
    ExportLog.objects.filter(pk=log.pk).update(filters=log.filters)
    storage, name = storages["exports"], f"job-{run.job.pk}.csv"
    with tempfile.TemporaryFile(mode="w+b") as file:
        chunks = export_csv(
            contacts=contacts,
            columns=run.params["columns"],
            bom=run.params["bom"],
            log=log,
            on_batch=lambda rows: run.step(processed=rows, cursor={}),
        )
        for chunk in chunks:
            file.write(chunk.encode())
        file.seek(0)
        # Saved under the job's own name, replacing an earlier run's file, so a rerun leaves one file.
        storage.delete(name)
        saved = storage.save(name, File(file))
    rows = run.job.processed
    filename = export_filename()
    run.result(file=saved, name=filename, expires_at=timezone.now() + timedelta(days=settings.EXPORT_FILE_DAYS))
    if actor.user.email:
        link = settings.SITE_URL.rstrip("/") + reverse("jobs:download", args=[run.job.pk])
        mail_queue(
            key=f"export-ready:{run.job.pk}",
            to=actor.user.email,
            subject="Your export is ready",
            body=(
                f"Your export of {_contacts(rows)} is ready: {filename}.\n\n"
                f"Download it here (sign in first): {link}\n\n"
                f"The file is removed after {settings.EXPORT_FILE_DAYS} days."
            ),
        )
    return f"Exported {_contacts(rows)} to {filename}.{note}"


def _walk(run: JobRun, contacts: QuerySet[Contact], act: Callable[[QuerySet[Contact]], int]) -> int:
    """Apply `act` to the selection a committed batch at a time, after the cursor; return how many it changed."""
    last, changed, processed = run.cursor.get("last"), run.cursor.get("changed", 0), run.cursor.get("processed", 0)
    remaining = contacts if last is None else contacts.filter(pk__gt=last)
    for batch in pk_batches(remaining):
        with transaction.atomic():
            changed += act(Contact.objects.filter(pk__in=batch))
            processed += len(batch)
            run.step(processed=processed, cursor={"last": batch[-1], "changed": changed, "processed": processed})
    return changed


def _label_run(run: JobRun, *, add: bool) -> str:
    actor = run.asker()
    label = Label.objects.filter(pk=run.params["label"]).first()
    if label is None:
        raise JobFailed("The label was deleted before the job ran, so no contact was changed.")
    contacts, note = _begin(run)
    change = contacts_label_add if add else contacts_label_remove
    changed = _walk(run, contacts, lambda batch: change(contacts=batch, label=label, actor=actor))
    return f"Label {label.name} {'added to' if add else 'removed from'} {_contacts(changed)}.{note}"


def trash_run(run: JobRun) -> str:
    actor = run.asker()
    contacts, note = _begin(run)
    # One moment for the whole job, fixed when it was asked for, so every batch is one move in the Trash.
    at = parse_datetime(run.params["at"])
    moved = _walk(run, contacts, lambda batch: contacts_trash(contacts=batch, actor=actor, at=at))
    return f"{_contacts(moved)} moved to the Trash.{note}"


def _purge_chore() -> str:
    purged = trash_purge_due(actor=SYSTEM)
    return f"Purged {_contacts(purged.contacts)} from the Trash"


def register_jobs() -> None:
    """Tell the jobs app about this app's kinds and chores (called from CustomersConfig.ready)."""
    register(JobKind(EXPORT, "Export contacts", "customers.export_contact", export_run))
    register(JobKind(LABEL_ADD, "Add label", "customers.change_contact", partial(_label_run, add=True)))
    register(JobKind(LABEL_REMOVE, "Remove label", "customers.change_contact", partial(_label_run, add=False)))
    register(JobKind(TRASH, "Delete contacts", "customers.delete_contact", trash_run))
    register_chore(Chore("purge_trash", timedelta(days=1), _purge_chore))
