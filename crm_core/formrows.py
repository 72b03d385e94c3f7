"""Rows in a form that staff can grow and shrink (phone numbers, companies, order lines).

Without JavaScript, "Add …" and "Remove … N" are submit buttons: the page comes back with the rows
changed and everything typed kept. These helpers read such a submission; the forms render the rows.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from django import forms
from django.http import QueryDict


@dataclass(frozen=True)
class RowSet:
    """One formset's rows: its prefix, the fields of a row, at most how many, and the buttons' names."""

    prefix: str
    fields: tuple[str, ...]
    limit: int
    add: str
    remove: str
    focus: str
    blank: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RowAction:
    """A submission that added or removed a row: every row set's rows as typed, after the change."""

    row_set: RowSet
    rows: dict[str, list[dict[str, str]]]
    focus: int | None


def row_action(data: QueryDict, row_sets: Sequence[RowSet]) -> RowAction | None:
    """Return the rows with a row added or removed, and which row to focus; None for a plain save."""
    action = next(
        ((row_set, name) for row_set in row_sets for name in (row_set.add, row_set.remove) if name in data), None
    )
    if action is None:
        return None
    row_set, name = action
    rows = {each.prefix: rows_typed(data, each) for each in row_sets}
    typed = rows[row_set.prefix]
    focus = None
    if name == row_set.add and len(typed) < row_set.limit:
        typed.append({column: row_set.blank.get(column, "") for column in row_set.fields})
        focus = len(typed) - 1
    elif name == row_set.remove:
        index = int_or_none(data.get(row_set.remove))
        if index is not None and 0 <= index < len(typed):
            del typed[index]
            focus = max(index - 1, 0)
    return RowAction(row_set=row_set, rows=rows, focus=focus)


def rows_typed(data: QueryDict, row_set: RowSet) -> list[dict[str, str]]:
    """Return the rows of a submitted formset as typed, at most as many as it allows."""
    prefix = row_set.prefix
    count = min(max(int_or_none(data.get(f"{prefix}-TOTAL_FORMS")) or 0, 0), row_set.limit)
    return [{column: data.get(f"{prefix}-{index}-{column}", "") for column in row_set.fields} for index in range(count)]


def with_management_data(data: QueryDict, prefix: str) -> QueryDict:
    """Return the data with an empty formset's management fields when a post has none of its rows.

    A post without the rows at all (a script, or a form from before they existed) means none.
    """
    if f"{prefix}-TOTAL_FORMS" in data:
        return data
    data = data.copy()
    data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def focus_row(formset, row_set: RowSet, index: int | None) -> None:
    """Put autofocus on the row's first field, so focus lands on the row just added (or next to the removed)."""
    if index is not None and index < len(formset.forms):
        formset.forms[index].fields[row_set.focus].widget.attrs["autofocus"] = True


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


class RowSetsForm(forms.Form):
    """A form that carries row sets, each a formset in the attribute named by its prefix (self.phones …).

    A subclass lists its ROW_SETS, builds each formset in __init__ (bound to the data, or from `rows`, the rows
    as typed before a row was added or removed), and says in typed_initial which typed fields a row action keeps.
    """

    ROW_SETS: tuple[RowSet, ...] = ()
    # True for a form that came back because a row was added or removed, not because it was saved.
    row_action = False

    @classmethod
    def typed_initial(cls, data: QueryDict) -> dict[str, Any]:
        """Return the form's own fields as typed, to show again after a row action."""
        raise NotImplementedError

    @classmethod
    def with_row_action(cls, data: QueryDict, **kwargs: Any) -> Self | None:
        """Return the form with a row added or removed, keeping what was typed; None for a plain save."""
        action = row_action(data, cls.ROW_SETS)
        if action is None:
            return None
        form = cls(initial=cls.typed_initial(data), rows=action.rows, **kwargs)
        form.row_action = True
        focus_row(getattr(form, action.row_set.prefix), action.row_set, action.focus)
        return form

    @property
    def formsets(self) -> list[forms.BaseFormSet]:
        return [getattr(self, row_set.prefix) for row_set in self.ROW_SETS]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(formset.total_error_count() for formset in self.formsets)

    def is_valid(self) -> bool:
        # Every part is validated, rows first, so every error shows at once.
        rows_valid = [formset.is_valid() for formset in self.formsets]
        return super().is_valid() and all(rows_valid)
