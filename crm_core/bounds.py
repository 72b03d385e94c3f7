"""What a database column can hold, checked before a value from an address or a form reaches the database.

An id or a moment beyond what its column can hold names no row, so it is refused like any other value
that is not valid, or matches nothing, before the database sees it: SQLite raises OverflowError for an
integer beyond 64 bits, PostgreSQL compares a bigint column with such a number as numeric and reads
every row, and a day at either end of the calendar overflows when the next day is taken or when it is
converted to UTC.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db.models import ForeignKey, ForeignObject, IntegerField, Lookup
from django.db.models.fields.related_lookups import RelatedExact, RelatedIn
from django.db.models.lookups import In
from django.utils import timezone

# A signed 64-bit integer: what SQLite's INTEGER and PostgreSQL's bigint hold, so every id fits in it.
ID_MAX = 2**63 - 1


def id_parsed(text: str) -> int | None:
    """Return the id that text names (ASCII digits, at most ID_MAX), or None when it names none."""
    # len() first: int() refuses strings of more than 4,300 digits, and no id has more than 19.
    if len(text) > len(str(ID_MAX)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= ID_MAX else None


def moment_storable(moment: datetime) -> bool:
    """Return whether a moment can be stored and compared: it has a time zone and converts to UTC."""
    if moment.utcoffset() is None:
        return False
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return False
    return True


def day_span(day: date) -> tuple[datetime, datetime]:
    """Return when a day starts and when the next one starts in the current time zone.

    Raises OverflowError for a day at either end of the calendar, whose next day or UTC time is beyond it.
    """
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    if not (moment_storable(start) and moment_storable(end)):
        raise OverflowError(f"{day} is too close to the end of the calendar")
    return start, end


class DayField(forms.DateField):
    """A date whose whole day can be searched; what was typed is named when it is not one."""

    default_error_messages = {"invalid": "“%(value)s” is not a valid date."}

    def to_python(self, value: Any) -> date | None:
        try:
            day = super().to_python(value)
            if day is not None:
                day_span(day)
        except (ValidationError, OverflowError):
            typed = str(value).strip()[:50]
            raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": typed}) from None
        return day


def _column_range(lookup: Lookup, connection) -> tuple[int | None, int | None] | None:
    """Return the lowest and highest value the lookup's column holds, or None when it holds no integers."""
    field = lookup.lhs.output_field
    # A foreign key's column holds what the key it points at holds.
    while isinstance(field, ForeignKey):
        field = field.target_field
    if not isinstance(field, IntegerField):
        return None
    return connection.ops.integer_field_range(field.get_internal_type())


def _fits(value: Any, limits: tuple[int | None, int | None] | None) -> bool:
    if limits is None or not isinstance(value, int):
        return True
    low, high = limits
    return (low is None or value >= low) and (high is None or value <= high)


class _FittingIn:
    def batch_process_rhs(self, compiler, connection, rhs=None):
        limits = _column_range(self, connection)
        kept = [value for value in (self.rhs if rhs is None else rhs) if _fits(value, limits)]
        if not kept:
            raise EmptyResultSet
        return super().batch_process_rhs(compiler, connection, kept)


class IntegerFieldIn(_FittingIn, In):
    pass


class RelatedFittingIn(_FittingIn, RelatedIn):
    pass


class RelatedFittingExact(RelatedExact):
    def process_rhs(self, compiler, connection):
        if not _fits(self.rhs, _column_range(self, connection)):
            raise EmptyResultSet
        return super().process_rhs(compiler, connection)


def id_lookups_register() -> None:
    """Register `in` on integer columns and `exact` and `in` on foreign keys that leave out unholdable ids.

    Such a value matches no row, so the database never sees it. Django does this for exact and the
    comparisons on an integer column (lookups.IntegerFieldOverflow), not for `in` (which
    ModelMultipleChoiceField and the admin's filters and actions use) nor through a foreign key
    (`contact_id=pk` with the pk from the URL). Called once, when the apps are ready.
    """
    IntegerField.register_lookup(IntegerFieldIn)
    ForeignObject.register_lookup(RelatedFittingIn)
    ForeignObject.register_lookup(RelatedFittingExact)
