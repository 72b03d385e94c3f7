"""Big writes at a cost that does not grow with them: primary-key batches, one row copied to many, many rows at once."""

from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from django.db import connection
from django.db.models import Field, Model, QuerySet
from django.utils import timezone

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


# Fields whose Python value is what the database driver takes: preparing 100,000 of them one by one is a
# noticeable share of an import, for nothing. Dates, decimals and JSON are prepared as Django does.
_SAVED_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "EmailField",
        "ForeignKey",
        "IntegerField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def _column_values(model: type[Model], rows: Sequence[dict[str, Any]]) -> tuple[list[Field], list[list[Any]]]:
    """Each concrete column's values for the rows, as bulk_create would save them (defaults, auto_now, db prep)."""
    now = timezone.now()
    fields = [field for field in model._meta.concrete_fields if not field.primary_key and not field.generated]
    columns = []
    for field in fields:
        names = (field.attname, field.name)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            default = now
        else:
            default = field.get_default()
        values = [next((row[name] for name in names if name in row), default) for row in rows]
        if field.get_internal_type() not in _SAVED_AS_IS:
            values = [field.get_db_prep_save(value, connection) for value in values]
        columns.append(values)
    return fields, columns


def rows_insert(
    *, model: type[Model], rows: Sequence[dict[str, Any]], returning: bool = False, ignore_conflicts: bool = False
) -> list[int]:
    """Insert plain rows (field name → value; left out: the field's default) and return their ids if asked, in order.

    On PostgreSQL one INSERT … SELECT FROM unnest() per call, one array parameter per column: a few microseconds
    a value, where bulk_create builds a model instance, a placeholder and a converted parameter per value (an
    import of 100,000 rows spent most of its time there). Elsewhere bulk_create. No signals are sent, as with
    bulk_create; `ignore_conflicts` skips rows a unique constraint refuses (no ids are returned then).
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = model.objects.bulk_create([model(**row) for row in rows], ignore_conflicts=ignore_conflicts)
        return [each.pk for each in objects] if returning else []
    quote = connection.ops.quote_name
    fields, columns = _column_values(model, rows)
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    # Table, column names and types come from the model; every value is a bound parameter.
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "  # noqa: S608
        f"SELECT * FROM unnest({arrays})"
        + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
        + (" RETURNING id" if returning else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, columns)
        return [row[0] for row in cursor.fetchall()] if returning else []


def rows_update(*, model: type[Model], changes: dict[int, dict[str, Any]], also: dict[str, Any] | None = None) -> None:
    """Set different values on many rows in one UPDATE: {pk: {field: value}}, and the same `also` values on all.

    One CASE per field over the rows that change it, written out as SQL text: bulk_update builds a Case and a
    When expression per row and field, which cost an import a third of a millisecond a row.
    """
    if not changes:
        return
    quote = connection.ops.quote_name
    assignments, params = [], []
    names = sorted({name for values in changes.values() for name in values})
    for name in names:
        field = model._meta.get_field(name)
        cases = [(pk, values[name]) for pk, values in changes.items() if name in values]
        when = " ".join("WHEN %s THEN %s" for _ in cases)
        assignments.append(f"{quote(field.column)} = CASE {quote('id')} {when} ELSE {quote(field.column)} END")
        for pk, value in cases:
            params += [pk, field.get_db_prep_save(value, connection)]
    for name, value in (also or {}).items():
        field = model._meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    placeholders = ", ".join(["%s"] * len(changes))
    sql = f"UPDATE {quote(model._meta.db_table)} SET {', '.join(assignments)} WHERE id IN ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *changes])
