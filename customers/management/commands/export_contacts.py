"""Export contacts as CSV from a shell: the web export's scopes, filters, columns and stream, without a browser.

    manage.py export_contacts -o contacts.csv
    manage.py export_contacts --query "labels=3&q=ann" --columns shopify --bom -o vip.csv
    manage.py export_contacts --scope filter --query "stage=customer" > customers.csv

`--query` takes the contacts list's query string, exactly as it appears in the address bar. The CSV goes to
the file or to standard output; the summary goes to standard error. Every run is audited in ExportLog with
no user and the scope "command".
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from customers.export import COLUMN_SETS, FULL, NOTHING_TO_EXPORT, export_csv
from customers.filters import FILTER_PARAMS, ContactFilter, filter_params
from customers.selection import ContactSelection
from customers.selectors import contacts_live
from customers.services.export import export_log_start

SCOPE_ALL, SCOPE_FILTER = "all", "filter"
# Parameters of the list's address that say how it is sorted and paged, not which contacts match.
LIST_ONLY_PARAMS = ("sort", "cursor", "page")


class Command(BaseCommand):
    help = "Export contacts as CSV: all of them, or those matching a contacts-list query string."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--scope",
            choices=(SCOPE_ALL, SCOPE_FILTER),
            help="all (the default) or filter (the default when --query is given).",
        )
        parser.add_argument("--query", default="", help='The list\'s filters as a query string, e.g. "labels=3&q=ann".')
        parser.add_argument("--columns", choices=tuple(COLUMN_SETS), default=FULL, help="full (default) or shopify.")
        parser.add_argument("--bom", action="store_true", help="Start with a byte-order mark, for Excel.")
        parser.add_argument("-o", "--output", type=Path, help="Write to this file instead of standard output.")

    def handle(self, *args, **options) -> None:
        scope = options["scope"] or (SCOPE_FILTER if options["query"] else SCOPE_ALL)
        filters = _filters(options["query"], scope=scope)
        contacts = ContactSelection(filters=filters, ids=None).contacts(contacts=contacts_live())
        if not contacts.exists():
            raise CommandError(NOTHING_TO_EXPORT)
        output = options["output"]
        try:
            # Opened before the export is logged, so a path that cannot be written leaves no entry.
            file = output.open("w", encoding="utf-8", newline="") if output else None
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}.") from error
        selection = {"scope": scope, "filters": filters.urlencode()}
        log = export_log_start(user=None, scope="command", columns=options["columns"], selection=selection)
        started = time.monotonic()
        try:
            for chunk in export_csv(contacts=contacts, columns=options["columns"], bom=options["bom"], log=log):
                if file:
                    file.write(chunk)
                else:
                    self.stdout.write(chunk, ending="")
        finally:
            if file:
                file.close()
        log.refresh_from_db()
        where = output or "standard output"
        self.stderr.write(
            f"Exported {log.row_count:,} contacts ({options['columns']} columns) to {where} "
            f"in {time.monotonic() - started:.1f} s."
        )


def _filters(query: str, *, scope: str) -> QueryDict:
    """Return the filters a --query names; refuse what the list would silently ignore."""
    if scope == SCOPE_ALL:
        if query:
            raise CommandError("--query narrows --scope filter; leave it out to export all contacts.")
        return QueryDict()
    params = QueryDict(query)
    unknown = sorted(set(params) - set(FILTER_PARAMS) - set(LIST_ONLY_PARAMS))
    if unknown:
        raise CommandError(
            f"Not a filter of the contacts list: {', '.join(unknown)}. Filters: {', '.join(FILTER_PARAMS)}."
        )
    filters = filter_params(params)
    if not filters:
        raise CommandError("--scope filter needs --query with at least one filter, e.g. --query 'stage=customer'.")
    filterset = ContactFilter(filters, queryset=contacts_live())
    filterset.is_valid()
    # On the list a bad value is ignored and reported; a command would export more than was meant.
    if problems := filterset.problems():
        raise CommandError(" ".join(problem.removesuffix(" It was ignored.") for problem in problems))
    return filters
