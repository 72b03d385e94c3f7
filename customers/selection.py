"""The contacts a bulk action acts on: the list's filter, optionally narrowed to the rows ticked on a page.

A selection is the query, not a list of ids, so "all 1,240,000 contacts that match" is one short POST.
Ticked ids only ever narrow the filter: an id that is tampered with, foreign, in the trash or outside the
filter matches nothing. Export and delete take the same object as the label actions.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict

from crm_core.bounds import id_parsed
from customers.filters import ContactFilter, filter_params
from customers.models import Contact

SCOPE_SELECTED, SCOPE_MATCHING = "selected", "matching"
# A page holds at most this many rows, so more ticked ids than this did not come from our page.
MAX_IDS = 1000


class EmptySelection(ValueError):
    """Nothing was selected."""


def posted_filters(data: QueryDict) -> QueryDict:
    """Return the list filters a bulk form carries in its `query` field (the list's query string)."""
    return filter_params(QueryDict(data.get("query", "")[:4000]))


@dataclass(frozen=True)
class ContactSelection:
    filters: QueryDict
    ids: frozenset[int] | None  # None: every contact that matches the filters

    @classmethod
    def from_post(cls, data: QueryDict) -> "ContactSelection":
        """Read a bulk form: its `query` (the list's query string), `scope` and ticked `ids`."""
        filters = posted_filters(data)
        if data.get("scope") == SCOPE_MATCHING:
            return cls(filters=filters, ids=None)
        ids = frozenset(pk for value in data.getlist("ids")[:MAX_IDS] if (pk := id_parsed(value)) is not None)
        if not ids:
            raise EmptySelection
        return cls(filters=filters, ids=ids)

    @classmethod
    def from_described(cls, described: dict[str, Any]) -> "ContactSelection":
        """Rebuild a selection from describe()'s dict, as a job stores it."""
        ids = described.get("ids")
        return cls(filters=QueryDict(described.get("filters", "")), ids=None if ids is None else frozenset(ids))

    def contacts(self, *, contacts: QuerySet[Contact]) -> QuerySet[Contact]:
        """Return the selected contacts among `contacts` (the live ones the user may act on)."""
        filterset = ContactFilter(self.filters, queryset=contacts)
        selected = filterset.qs
        if self.ids is not None:
            selected = selected.filter(pk__in=self.ids)
        return selected

    @property
    def all_matching(self) -> bool:
        return self.ids is None

    def describe(self) -> dict[str, Any]:
        """Return what was selected, for an audit entry: the filter, and the ids if rows were ticked."""
        return {
            "scope": SCOPE_MATCHING if self.all_matching else SCOPE_SELECTED,
            "filters": self.filters.urlencode(),
            **({} if self.ids is None else {"ids": sorted(self.ids)}),
        }
