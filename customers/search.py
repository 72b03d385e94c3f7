"""Contact search: one lower-cased document per contact, searched by substring through an index.

The document holds the name, the email and its aliases, the phones' digits and the names of the contact's
companies, so a search is one predicate on one column and the database can choose between the search index (a selective
term) and the list's sort index (a common term that fills a page at once). On PostgreSQL a pg_trgm GIN
index serves `LIKE '%term%'`; on SQLite an FTS5 trigram table, kept in step by triggers, serves the same
substring match for a rare term, and a common one scans the list's order with the same LIKE. Both are
created by customers/migrations/0002_contact_search.py.
"""

import re
from collections.abc import Callable, Iterable

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

# Trigram indexes need at least three characters; shorter terms scan and rely on the page filling early.
INDEXED_TERM_LENGTH = 3
MAX_TERM_LENGTH = 200
# A term in at least this many contacts is searched on SQLite by a scan in the list's order (_sqlite_term_common).
SQLITE_COMMON_MATCHES = 2_000
SQLITE_SEARCH_TABLE = "customers_contact_search"

_PHONE_LIKE = re.compile(r"[\d\s+\-().]+")
_WHITESPACE = re.compile(r"\s+")


def search_document(
    *,
    first_name: str,
    last_name: str,
    email: str,
    phones: Iterable[str] = (),
    company_names: Iterable[str] = (),
    aliases: Iterable[str] = (),
) -> str:
    """Return the text a contact is found by. Phones are E.164; their digits are stored without the '+'.

    `aliases`: the contact's other emails (a merge's), so searching for an old address finds the survivor.
    """
    parts = [f"{first_name} {last_name}", email, *aliases, *(number.lstrip("+") for number in phones), *company_names]
    # Newlines keep one field from running into the next; a search box cannot type one.
    return "\n".join(_WHITESPACE.sub(" ", part).strip() for part in parts if part.strip()).lower()


def normalise_term(term: str) -> str:
    """Return what a typed search term is matched as: lower-case, single spaces, phone numbers as digits.

    A phone number typed in any format ("07700 900123", "+44 7700 900123", "(0)7700-900123") is reduced
    to its digits without leading zeros (the national trunk prefix), which are a substring of the stored
    E.164 digits.
    """
    term = _WHITESPACE.sub(" ", term.replace("\x00", "")).strip().lower()[:MAX_TERM_LENGTH]
    if _PHONE_LIKE.fullmatch(term):
        digits = re.sub(r"\D", "", term)
        national = digits.lstrip("0")
        if len(national) >= INDEXED_TERM_LENGTH:
            return national
        if digits:
            return digits
    return term


def contacts_matching(contacts: QuerySet, term: str) -> QuerySet:
    """Return the contacts whose name, email, phone or company contains the term (literally)."""
    return contacts_matcher(term)(contacts)


def contacts_matcher(term: str) -> Callable[[QuerySet], QuerySet]:
    """Return what narrows contacts to those matching the term, for a caller that filters several querysets.

    On SQLite choosing the plan asks the database once (_sqlite_term_common); the list filters its page and
    its tabs with the same matcher.
    """
    term = normalise_term(term)
    if not term:
        return lambda contacts: contacts
    if connection.vendor == "sqlite" and len(term) >= INDEXED_TERM_LENGTH:
        # An FTS5 phrase of the whole term: double quotes are escaped by doubling and every other
        # character, %, _ and \ included, is a literal part of the trigrams.
        phrase = '"' + term.replace('"', '""') + '"'
        if not _sqlite_term_common(phrase):
            # The table name is our constant; the term is a bound parameter.
            sql = f"SELECT rowid FROM {SQLITE_SEARCH_TABLE} WHERE {SQLITE_SEARCH_TABLE} MATCH %s"  # noqa: S608
            return lambda contacts: contacts.filter(pk__in=RawSQL(sql, [phrase]))  # noqa: S611
    # Django escapes %, _ and \ for LIKE, so they match themselves.
    return lambda contacts: contacts.filter(search_document__contains=term)


def _sqlite_term_common(phrase: str) -> bool:
    """Say whether the FTS5 phrase is in so many documents that scanning the list's order finds a page sooner.

    SQLite cannot stop a `pk IN (matches)` early: it gathers every match first (20 ms for "son" at 100k
    contacts), where a LIKE over the list's sort index stops at a page's worth (0.2 ms). Asking the index
    for the first SQLITE_COMMON_MATCHES matches costs under 2 ms; a rarer term keeps the index, which
    finds its few rows at once where the scan would read the whole table.
    """
    sql = (
        f"SELECT count(*) FROM (SELECT rowid FROM {SQLITE_SEARCH_TABLE} "  # noqa: S608 -- our table name, a bound term.
        f"WHERE {SQLITE_SEARCH_TABLE} MATCH %s LIMIT {SQLITE_COMMON_MATCHES})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [phrase])
        return cursor.fetchone()[0] >= SQLITE_COMMON_MATCHES
