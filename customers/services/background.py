"""Queue the contacts app's background jobs: an export to a file, and a label or delete over a large selection.

What runs them is customers/jobs.py; a job stores the selection as asked and the count the person saw,
and resolves the selection again when it runs.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from customers.models import Label
from customers.selection import ContactSelection
from customers.services.export import export_log_start
from jobs.models import Job
from jobs.services import job_queue

EXPORT, LABEL_ADD, LABEL_REMOVE, TRASH = (
    "contacts_export",
    "contacts_label_add",
    "contacts_label_remove",
    "contacts_trash",
)


@transaction.atomic
def export_job_queue(
    *, user: AbstractBaseUser, selection: ContactSelection, scope: str, columns: str, bom: bool, count: int | None
) -> Job:
    """Queue an export of the selection to a file; its audit entry is written now, as for a download."""
    described = selection.describe()
    log = export_log_start(
        user=user, scope=scope, columns=columns, selection={k: v for k, v in described.items() if k != "scope"}
    )
    params = {"selection": described, "columns": columns, "bom": bom, "log": log.pk, "count": count}
    return job_queue(kind=EXPORT, user=user, params=params, total=count)


@transaction.atomic
def label_job_queue(*, user: AbstractBaseUser, selection: ContactSelection, label: Label, add: bool, count: int) -> Job:
    """Queue adding (or removing) a label over a selection too large to change inside a request."""
    params = {"selection": selection.describe(), "label": label.pk, "count": count}
    return job_queue(kind=LABEL_ADD if add else LABEL_REMOVE, user=user, params=params, total=count)


@transaction.atomic
def trash_job_queue(*, user: AbstractBaseUser, selection: ContactSelection, count: int) -> Job:
    """Queue moving a large selection to the Trash, all under one moment so it reads as one delete."""
    params = {"selection": selection.describe(), "count": count, "at": timezone.now().isoformat()}
    return job_queue(kind=TRASH, user=user, params=params, total=count)
