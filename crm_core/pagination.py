"""Keyset (cursor) pagination and cheap counts for lists that must stay fast at a million rows.

A page is found by seeking past the sort key of the row before it, so page 10,000 costs what page 1
costs, where OFFSET would read and throw away every row before it. A cursor is the last (or first) row's
sort key, encoded in the URL; it is data the user may tamper with, so decoding checks every value
against its model field and anything wrong is reported as InvalidCursor.
"""

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection
from django.db.models import Count, F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy

from crm_core.bounds import moment_storable

AFTER, BEFORE = "a", "b"


class InvalidCursor(ValueError):
    """The cursor in the URL was not made by us for this sort order."""


@dataclass(frozen=True)
class Ordering:
    """A total order over a model: field names, the last one unique. NULLs sort as the smallest value."""

    fields: tuple[str, ...]
    descending: bool

    def order_by(self, *, nullable: Sequence[bool], reverse: bool = False) -> list[OrderBy]:
        """Return the ORDER BY terms. Only nullable fields say where NULLs go: on a NOT NULL column, a
        NULLS FIRST/LAST unlike the index's own would make PostgreSQL sort every row instead of reading
        the index."""
        descending = self.descending != reverse
        terms = []
        for name, null in zip(self.fields, nullable, strict=True):
            if not null:
                terms.append(F(name).desc() if descending else F(name).asc())
            else:
                terms.append(F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_first=True))
        return terms


@dataclass(frozen=True)
class Cursor:
    direction: str  # AFTER or BEFORE the row whose key this is
    key: tuple[Any, ...]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_cursor(cursor: Cursor) -> str:
    payload = json.dumps([cursor.direction, [_jsonable(value) for value in cursor.key]], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(token: str, *, model: type[Model], ordering: Ordering) -> Cursor:
    """Return the cursor a token encodes, with each value converted and checked by its model field."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        direction, values = json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as error:
        raise InvalidCursor(token) from error
    if direction not in (AFTER, BEFORE) or not isinstance(values, list) or len(values) != len(ordering.fields):
        raise InvalidCursor(token)
    key = []
    for name, value in zip(ordering.fields, values, strict=True):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist as error:
            raise InvalidCursor(token) from error
        if value is None:
            if not field.null:
                raise InvalidCursor(token)
            key.append(None)
            continue
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise InvalidCursor(token)
        # Values a database column cannot hold would fail in the database, or make it read every row,
        # instead of here: NUL in text, and what the field's validators refuse (an id beyond 64 bits, an
        # amount with more digits than its column).
        if isinstance(value, str) and "\x00" in value:
            raise InvalidCursor(token)
        try:
            converted = field.to_python(value)
            field.run_validators(converted)
        except (ValidationError, ValueError, TypeError, OverflowError) as error:
            raise InvalidCursor(token) from error
        # Our cursors carry a moment with its offset; one without, or beyond UTC's calendar, is not ours.
        if isinstance(converted, datetime) and not moment_storable(converted):
            raise InvalidCursor(token)
        key.append(converted)
    return Cursor(direction=direction, key=tuple(key))


def _beyond(name: str, value: Any, *, descending: bool, nullable: bool) -> Q:
    """Rows strictly past `value` in one field's direction, where NULL is the smallest value."""
    if value is None:
        return Q(pk__in=[]) if descending else Q(**{f"{name}__isnull": False})
    if not descending:
        return Q(**{f"{name}__gt": value})
    if nullable:
        return Q(**{f"{name}__lt": value}) | Q(**{f"{name}__isnull": True})
    return Q(**{f"{name}__lt": value})


def _equal(name: str, value: Any) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def seek(ordering: Ordering, key: Sequence[Any], *, descending: bool, nullable: Sequence[bool]) -> Q:
    """Return the condition for rows that come after `key` when sorting in the given direction."""
    names = ordering.fields
    condition = _beyond(names[-1], key[-1], descending=descending, nullable=nullable[-1])
    for name, value, null in zip(reversed(names[:-1]), reversed(key[:-1]), reversed(nullable[:-1]), strict=True):
        condition = _beyond(name, value, descending=descending, nullable=null) | (_equal(name, value) & condition)
    first, first_value = names[0], key[0]
    if first_value is not None and not nullable[0]:
        # Implied by the condition, but written out it becomes an index range, so the database starts
        # reading at the cursor instead of filtering every row before it.
        condition &= Q(**{f"{first}__{'lte' if descending else 'gte'}": first_value})
    return condition


@dataclass
class KeysetPage:
    rows: list[Model]
    has_next: bool
    has_previous: bool
    next_cursor: str
    previous_cursor: str


def keyset_page(
    queryset: QuerySet, *, ordering: Ordering, size: int, cursor: Cursor | None = None, last: bool = False
) -> KeysetPage:
    """Return one page of the queryset in the given order, starting at the cursor (or at either end)."""
    model = queryset.model
    nullable = [model._meta.get_field(name).null for name in ordering.fields]
    backwards = last or (cursor is not None and cursor.direction == BEFORE)
    descending = ordering.descending != backwards
    if cursor is not None:
        queryset = queryset.filter(seek(ordering, cursor.key, descending=descending, nullable=nullable))
    rows = list(queryset.order_by(*ordering.order_by(nullable=nullable, reverse=backwards))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        has_previous, has_next = more, not last
    else:
        has_previous, has_next = cursor is not None, more

    def key_of(row: Model) -> tuple[Any, ...]:
        return tuple(getattr(row, name) for name in ordering.fields)

    return KeysetPage(
        rows=rows,
        has_next=has_next and bool(rows),
        has_previous=has_previous and bool(rows),
        next_cursor=encode_cursor(Cursor(AFTER, key_of(rows[-1]))) if rows else "",
        previous_cursor=encode_cursor(Cursor(BEFORE, key_of(rows[0]))) if rows else "",
    )


# Up to this many matching rows are counted exactly; that costs at most this many index entries read, which
# through a label or search join is still a few milliseconds at 1M contacts (10,000 took 20-50 ms, longer
# than the page's rows). Beyond it a list says "about N".
EXACT_COUNT_LIMIT = 1_000
# SQLite has no planner estimate, so beyond the limit it counts exactly once and remembers it a while.
SQLITE_COUNT_TTL = 60


@dataclass(frozen=True)
class RowCount:
    value: int
    exact: bool


def count_rows(queryset: QuerySet) -> RowCount:
    """Return how many rows match: exactly when cheap, otherwise an estimate that says it is one."""
    queryset = queryset.order_by()
    estimate = _planner_estimate(queryset) if connection.vendor == "postgresql" else None
    # The estimate costs a millisecond; far beyond the limit, counting up to it would only confirm it.
    if estimate is not None and estimate > 2 * EXACT_COUNT_LIMIT:
        return RowCount(_round(estimate), exact=False)
    capped = queryset[: EXACT_COUNT_LIMIT + 1].count()
    if capped <= EXACT_COUNT_LIMIT:
        return RowCount(capped, exact=True)
    if estimate is None:
        estimate = _remembered_count(queryset)
    return RowCount(_round(max(estimate, capped)), exact=False)


def count_rows_split(queryset: QuerySet, *, field: str, values: Sequence[str]) -> dict[str, RowCount]:
    """Return how many rows match in all (key "all") and for each of `values` of `field`, as count_rows would.

    One capped query counts them all at once when the matches are few (the usual case for a search or a
    filter), where counting each on its own took a query apiece.
    """
    queryset = queryset.order_by()
    aggregates = {"all": Count(field)} | {value: Count(field, filter=Q(**{field: value})) for value in values}
    if connection.vendor != "postgresql":
        return _sqlite_counts_split(queryset, field=field, aggregates=aggregates)
    estimate = _planner_estimate(queryset)
    capped_all = 0
    if estimate <= 2 * EXACT_COUNT_LIMIT:
        counted = queryset.values(field)[: EXACT_COUNT_LIMIT + 1].aggregate(**aggregates)
        if counted["all"] <= EXACT_COUNT_LIMIT:
            return {name: RowCount(value, exact=True) for name, value in counted.items()}
        # The first rows of many are no sample of them: each value is counted on its own below.
        capped_all = counted["all"]
    every = RowCount(_round(max(estimate, capped_all)), exact=False)
    return {"all": every} | {value: count_rows(queryset.filter(**{field: value})) for value in values}


def _sqlite_counts_split(queryset: QuerySet, *, field: str, aggregates: dict[str, Count]) -> dict[str, RowCount]:
    """count_rows_split without a planner: capped as there, and beyond the limit one count of all, remembered."""
    key = _count_key(queryset, suffix=repr(sorted(aggregates)))
    if (remembered := cache.get(key)) is None:
        counted = queryset.values(field)[: EXACT_COUNT_LIMIT + 1].aggregate(**aggregates)
        if counted["all"] <= EXACT_COUNT_LIMIT:
            return {name: RowCount(value, exact=True) for name, value in counted.items()}
        remembered = queryset.aggregate(**aggregates)
        cache.set(key, remembered, SQLITE_COUNT_TTL)
    return {name: RowCount(_round(value), exact=False) for name, value in remembered.items()}


def count_from_page(page: KeysetPage, *, from_start: bool) -> RowCount | None:
    """Return how many rows match when the first page already holds them all, free; else None (count them)."""
    if from_start and not page.has_next:
        return RowCount(len(page.rows), exact=True)
    return None


def _round(value: int) -> int:
    """Keep two significant figures: an estimate shown to the last digit would claim a precision it lacks."""
    magnitude = 10 ** max(len(str(value)) - 2, 0)
    return round(value / magnitude) * magnitude


def _planner_estimate(queryset: QuerySet) -> int:
    plan = json.loads(queryset.values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _count_key(queryset: QuerySet, *, suffix: str = "") -> str:
    sql, params = queryset.values("pk").query.sql_with_params()
    return "count:" + hashlib.sha256(repr((sql, params, suffix)).encode()).hexdigest()


def _remembered_count(queryset: QuerySet) -> int:
    key = _count_key(queryset)
    value = cache.get(key)
    if value is None:
        value = queryset.count()
        cache.set(key, value, SQLITE_COUNT_TTL)
    return value
