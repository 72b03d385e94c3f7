"""The export audit log (SECURITY.md 5): an entry before the first byte leaves, completed when the stream ends."""

import logging
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError

from customers.models import ExportLog

logger = logging.getLogger(__name__)


def export_log_start(
    *, user: AbstractBaseUser | None, scope: str, columns: str, selection: dict[str, Any]
) -> ExportLog:
    """Record that an export begins: who, when, which selection and columns; the stream adds the rows."""
    return ExportLog.objects.create(
        user=user, scope=scope, columns=columns, filters={**selection, "finished": False}, row_count=0
    )


def export_log_finish(log: ExportLog, *, rows: int, finished: bool) -> None:
    """Complete the entry when the stream ends, however it ends: how many rows left and whether it ran to the end."""
    try:
        ExportLog.objects.filter(pk=log.pk).update(row_count=rows, filters={**log.filters, "finished": finished})
    except DatabaseError:
        # The stream's own error (if any) is the one to report; the entry keeps its start.
        logger.exception("Could not record the row count of export %s", log.pk)
