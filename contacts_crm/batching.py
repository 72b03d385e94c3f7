"""Walking a big selection in primary-key batches, so a million rows never sit in memory at once."""

from collections.abc import Iterator

from django.db.models import QuerySet

BATCH_SIZE = 2000


def pk_batches(rows: QuerySet, *, size: int = BATCH_SIZE) -> Iterator[list[int]]:
    """Yield the primary keys of the rows in ascending batches of at most `size`, each read when needed.

    Each batch is a fresh query seeking past the last key, so rows added or removed while the walk goes on
    are seen or skipped as they are, never read twice.
    """
    last = None
    while True:
        page = rows if last is None else rows.filter(pk__gt=last)
        batch = list(page.order_by("pk").values_list("pk", flat=True)[:size])
        if not batch:
            return
        yield batch
        last = batch[-1]
