"""The contacts list's filters, search and sort orders, read from the URL.

Everything the list shows is described by its query string, so a view can be bookmarked, shared and
reached with the back button, and a bulk action can act on "all contacts that match" by sending the same
query string instead of a million ids (see customers/selection.py).
"""

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import django_filters
from django import forms
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils import dateformat

from crm_core.bounds import DayField, day_span
from crm_core.pagination import Cursor, InvalidCursor, Ordering, decode_cursor
from customers.models import ConsentState, Contact, Label, Source, Stage
from customers.search import SQLITE_COMMON_MATCHES, contacts_matcher

YES_NO = [("yes", "Yes"), ("no", "No")]
LABELS_MATCH = [("any", "Any of these labels"), ("all", "All of these labels")]


class DayFilter(django_filters.DateFilter):
    """A day, refused like any date that is not valid when its start or end is beyond the calendar."""

    field_class = DayField


class ContactFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search contacts", method="filter_search", max_length=200)
    stage = django_filters.ChoiceFilter(label="Stage", choices=Stage.choices)
    labels = django_filters.ModelMultipleChoiceFilter(
        label="Labels", queryset=Label.objects.all(), widget=forms.CheckboxSelectMultiple, method="filter_labels"
    )
    labels_match = django_filters.ChoiceFilter(
        label="Match", choices=LABELS_MATCH, empty_label=None, method="filter_nothing"
    )
    company = django_filters.CharFilter(label="Company", method="filter_company", max_length=200)
    consent = django_filters.ChoiceFilter(
        label="Marketing consent", field_name="marketing_consent", choices=ConsentState.choices
    )
    source = django_filters.ChoiceFilter(label="Source", choices=Source.choices)
    has_orders = django_filters.ChoiceFilter(label="Has orders", choices=YES_NO, method="filter_has_orders")
    created_from = DayFilter(
        label="Created from", method="filter_created_from", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = DayFilter(
        label="Created to", method="filter_created_to", widget=forms.DateInput(attrs={"type": "date"})
    )
    locked = django_filters.ChoiceFilter(label="Details locked", choices=YES_NO, method="filter_locked")

    class Meta:
        model = Contact
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # The list filters twice (its page and its tabs, ContactListQuery); the search plan is chosen once.
        matchers = self.__dict__.setdefault("_matchers", {})
        if value not in matchers:
            matchers[value] = contacts_matcher(value)
        return matchers[value](queryset)

    def filter_labels(self, queryset: QuerySet, name: str, value: list[Label]) -> QuerySet:
        if not value:
            return queryset
        links = Contact.labels.through.objects
        if self.form.cleaned_data.get("labels_match") == "all":
            for label in value:
                queryset = queryset.filter(self._labelled(links.filter(label=label), key=(label.pk,)))
            return queryset
        return queryset.filter(self._labelled(links.filter(label__in=value), key=tuple(label.pk for label in value)))

    def _labelled(self, links: QuerySet, *, key: tuple[int, ...]) -> Q:
        """Return the condition "has one of these label links", in the form the database finds a page by soonest.

        PostgreSQL plans IN and EXISTS alike. SQLite runs them as written: IN gathers every linked contact
        first (38 ms for a label on 40% of 100k contacts), EXISTS probes each contact in the list's order
        and stops at a page (0.1 ms), but reads the whole table for a label on a few. So on SQLite a label
        on at least SQLITE_COMMON_MATCHES contacts (counted only that far) is probed, a rarer one gathered.
        The list filters twice (its page and its tabs); each label is counted once.
        """
        common = False
        if connection.vendor == "sqlite":
            counted = self.__dict__.setdefault("_common_labels", {})
            if key not in counted:
                counted[key] = links[:SQLITE_COMMON_MATCHES].count() >= SQLITE_COMMON_MATCHES
            common = counted[key]
        if common:
            return Q(Exists(links.filter(contact_id=OuterRef("pk"))))
        return Q(pk__in=links.values("contact_id"))

    def filter_nothing(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset

    def filter_company(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.replace("\x00", "").strip()
        if not value:
            return queryset
        return queryset.filter(pk__in=Contact.objects.filter(companies__name__icontains=value).values("pk"))

    def filter_has_orders(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(orders_count__gt=0) if value == "yes" else queryset.filter(orders_count=0)

    def filter_locked(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(details_locked=value == "yes")

    def filter_created_from(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(created_at__gte=day_span(value)[0])

    def filter_created_to(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(created_at__lt=day_span(value)[1])

    def pills(self) -> list[tuple[str, str]]:
        """Return (reads-on-its-own text, parameter=value to drop) for each filter in effect."""
        data = self.form.cleaned_data if self.is_bound else {}
        pills = []
        for name, filter_ in self.filters.items():
            value = data.get(name)
            if name == "labels_match" or value in (None, "", []):
                continue
            if name == "labels":
                pills += [(f"Label: {label.name}", f"labels={label.pk}") for label in value]
                continue
            if isinstance(filter_, django_filters.ChoiceFilter):
                shown = dict(filter_.extra["choices"]).get(value, value)
            elif isinstance(value, date):
                shown = dateformat.format(value, "j M Y")
            else:
                shown = value
            pills.append((f"{'Search' if name == 'q' else filter_.label}: {shown}", name))
        return pills

    def problems(self) -> list[str]:
        """Return one sentence per filter value that was ignored because it is not valid."""
        return [
            f"{self.filters[name].label}: {' '.join(errors)} It was ignored."
            for name, errors in self.form.errors.items()
            if name in self.filters
        ]


# Each sort order ends with the primary key, so rows that tie on the visible key still have one
# order and no row is shown twice or skipped across pages. Each has a partial index over live contacts.
SORTS = {
    "created": Ordering(("created_at", "id"), descending=False),
    "name": Ordering(("last_name", "first_name", "id"), descending=False),
    "email": Ordering(("email_normalized", "id"), descending=False),
    "total_spent": Ordering(("total_spent", "id"), descending=False),
    "last_order": Ordering(("last_order_at", "id"), descending=False),
}
DEFAULT_SORT = "-created"
# The parameters that say which rows match, as opposed to how they are sorted and paged.
FILTER_PARAMS = tuple(ContactFilter.base_filters)
PAGE_FIRST, PAGE_LAST = "first", "last"


def ordering_for(sort: str) -> Ordering:
    base = SORTS[sort.removeprefix("-")]
    return Ordering(base.fields, descending=sort.startswith("-"))


@dataclass
class ContactListQuery:
    """What the contacts list was asked for: filters, sort, and where to start."""

    params: QueryDict
    filterset: ContactFilter
    sort: str
    cursor: Cursor | None
    last: bool
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: QueryDict, *, contacts: QuerySet) -> "ContactListQuery":
        """Read the query string; a part that is not valid is ignored and reported, never an error."""
        filterset = ContactFilter(filter_params(params), queryset=contacts)
        filterset.is_valid()
        problems = filterset.problems()
        sort = params.get("sort", DEFAULT_SORT)
        if sort.removeprefix("-") not in SORTS:
            problems.append(f"Sort order “{sort[:50]}” is not one we know, so the newest contacts come first.")
            sort = DEFAULT_SORT
        cursor = None
        if token := params.get("cursor"):
            try:
                cursor = decode_cursor(token[:1000], model=Contact, ordering=ordering_for(sort))
            except InvalidCursor:
                problems.append("That page link is not valid any more, so this is the first page.")
        page = params.get("page", PAGE_FIRST)
        if page not in (PAGE_FIRST, PAGE_LAST):
            problems.append(f"Page “{page[:50]}” is not a page we know, so this is the first page.")
        last = page == PAGE_LAST and cursor is None
        return cls(params=params, filterset=filterset, sort=sort, cursor=cursor, last=last, problems=problems)

    @property
    def ordering(self) -> Ordering:
        return ordering_for(self.sort)

    @property
    def from_start(self) -> bool:
        """Whether the page asked for is the first one."""
        return self.cursor is None and not self.last

    @property
    def contacts(self) -> QuerySet:
        return self.filterset.qs

    @cached_property
    def stage(self) -> str:
        return self.filterset.form.cleaned_data.get("stage") or ""

    @cached_property
    def contacts_any_stage(self) -> QuerySet:
        """Return the contacts the search and filters match whatever their stage: what the tabs count."""
        queryset = self.filterset.queryset.all()
        for name, value in self.filterset.form.cleaned_data.items():
            if name != "stage":
                queryset = self.filterset.filters[name].filter(queryset, value)
        return queryset

    @cached_property
    def tab_links(self) -> dict[str, str]:
        """Return, per tab (all, customer, lead), the link to it that keeps the search, filters and sort."""
        links = {}
        for stage in ("", *Stage.values):
            params = self.filters.copy()
            params.pop("stage", None)
            if stage:
                params["stage"] = stage
            if self.sort != DEFAULT_SORT:
                params["sort"] = self.sort
            links[stage or "all"] = self._url(params)
        return links

    @cached_property
    def filters(self) -> QueryDict:
        return filter_params(self.params)

    def _url(self, params: QueryDict) -> str:
        return "?" + params.urlencode() if params else "?"

    @cached_property
    def sort_links(self) -> dict[str, dict[str, str]]:
        """Return, per sortable column, the link that sorts by it (again: reversed) and its aria-sort."""
        links = {}
        current, descending = self.sort.removeprefix("-"), self.sort.startswith("-")
        for key in SORTS:
            params = self.filters.copy()
            # A column sorts ascending first, except dates and money, where the newest and largest matter most.
            first = f"-{key}" if key in ("created", "total_spent", "last_order") else key
            if key == current:
                params["sort"] = key if descending else f"-{key}"
                state = "descending" if descending else "ascending"
            else:
                params["sort"] = first
                state = ""
            if params["sort"] == DEFAULT_SORT:
                del params["sort"]
            links[key] = {"url": self._url(params), "aria_sort": state}
        return links

    @cached_property
    def pill_links(self) -> list[tuple[str, str]]:
        """Return each filter in effect as its text and the link that removes only it."""
        pills = []
        for text, drop in self.filterset.pills():
            params = self.filters.copy()
            if "=" in drop:
                name, value = drop.split("=", 1)
                params.setlist(name, [kept for kept in params.getlist(name) if kept != value])
            else:
                params.pop(drop, None)
            if self.sort != DEFAULT_SORT:
                params["sort"] = self.sort
            pills.append((text, self._url(params)))
        return pills

    @property
    def clear_link(self) -> str:
        """Return the link that removes every filter but keeps the tab and the sort."""
        params = QueryDict(mutable=True)
        if stage := self.filterset.form.cleaned_data.get("stage"):
            params["stage"] = stage
        if self.sort != DEFAULT_SORT:
            params["sort"] = self.sort
        return self._url(params)

    @cached_property
    def chosen_label_ids(self) -> set[str]:
        return set(self.params.getlist("labels"))

    @cached_property
    def select_filters(self) -> list[dict]:
        """Return the filters shown as a select ("Any" or one choice), with what the URL chose."""
        selects = []
        for name in ("consent", "source", "has_orders", "locked"):
            filter_ = self.filterset.filters[name]
            chosen = self.params.get(name, "")
            options = [(value, text, value == chosen) for value, text in filter_.extra["choices"]]
            selects.append({"name": name, "label": filter_.label, "options": options})
        return selects

    @property
    def query_string(self) -> str:
        """Return the filters as a query string: what a bulk action over "all matching" acts on."""
        return self.filters.urlencode()


def filter_params(params: QueryDict) -> QueryDict:
    """Return only the parameters that decide which contacts match."""
    kept = QueryDict(mutable=True)
    for name in FILTER_PARAMS:
        values = [value for value in params.getlist(name) if value != ""]
        if values:
            kept.setlist(name, values)
    return kept
