"""URLs for pages that link many rows: one reverse() a page, however many rows it links."""

from collections.abc import Callable

from django.urls import reverse

# A pk no real row has; its digits mark where a row's pk goes in a URL reversed once.
_PK_PLACEHOLDER = 987654321


def url_for_pk(name: str, *before: int) -> Callable[[int], str]:
    """Return a function making the URL `name` has for a row's pk, its last argument, after the fixed `before`.

    Safe because that argument is an <int:pk>: a pk's digits need no quoting and the rest of the URL does
    not depend on it. Reversed per request, so a script prefix is honoured.
    """
    start, _, end = reverse(name, args=[*before, _PK_PLACEHOLDER]).rpartition(str(_PK_PLACEHOLDER))
    return lambda pk: f"{start}{pk}{end}"
