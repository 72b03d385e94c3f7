"""Walking a big selection in primary-key batches, and copying one row to many, so cost never grows with it."""

from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet

BATCH_SIZE = 2000


def batches(
    rows: QuerySet,
    *,
    size: int | None = None,
    key: Callable[[Any], int] = itemgetter(0),
    stop_when_short: bool = False,
) -> Iterator[list]:
    """Yield the rows in ascending primary-key batches of at most `size` (BATCH_SIZE), each read when needed.

    `rows` is shaped by the caller (values_list("pk", …), values("id", …), select_for_update(…)); `key` reads a
    row's primary key. Each batch is a fresh query seeking past the last key, so the hundredth costs what the
    first does, rows added or removed while the walk goes on are seen or skipped as they are, never read twice,
    and a lock taken by the query holds the batch it read. The walk ends on an empty batch, or with
    `stop_when_short` already on a short one, saving a query where nothing is locked and nothing waits.
    """
    # Read when called, not when defined, so a test can make every walk take small batches.
    size = size or BATCH_SIZE
    rows = rows.order_by("pk")
    last = None
    while True:
        batch = list((rows if last is None else rows.filter(pk__gt=last))[:size])
        if not batch:
            return
        yield batch
        if stop_when_short and len(batch) < size:
            return
        last = key(batch[-1])
        # Dropped before the next read, so only one batch is alive at a time.
        del batch


def pk_batches(rows: QuerySet, *, size: int | None = None) -> Iterator[list[int]]:
    """Yield the primary keys of the rows in ascending batches of at most `size` (see batches)."""
    return batches(rows.values_list("pk", flat=True), size=size, key=lambda pk: pk)


def row_copy(*, model: type[Model], source_pk: int, field: str, targets: Sequence[int]) -> None:
    """Insert one copy of the `model` row `source_pk` for each of `targets`, with `field` pointing at it.

    One INSERT … SELECT however many targets there are: bulk_create would split its insert by the database's
    parameter limit (124 rows of a dozen columns a statement on SQLite), so its cost would grow with them.
    Targets that no longer exist are skipped, by the join with the table `field` points at.
    """
    if not targets:
        return
    quote = connection.ops.quote_name
    foreign_key = model._meta.get_field(field)
    columns = [column.column for column in model._meta.concrete_fields if not column.primary_key]
    copied = ", ".join("t.id" if column == foreign_key.column else f"s.{quote(column)}" for column in columns)
    # Table and column names come from the models; the keys are bound parameters.
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(column) for column in columns)}) "  # noqa: S608
        f"SELECT {copied} FROM {quote(foreign_key.related_model._meta.db_table)} t, {quote(model._meta.db_table)} s "
        f"WHERE s.id = %s AND t.id IN ({', '.join(['%s'] * len(targets))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [source_pk, *targets])
