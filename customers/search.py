"""Contact search: one lower-cased document per contact, searched by substring through an index.

The document holds the name, the email, the phones' digits and the names of the contact's companies, so a
search is one predicate on one column and the database can choose between the search index (a selective
term) and the list's sort index (a common term that fills a page at once). On PostgreSQL a pg_trgm GIN
index serves `LIKE '%term%'`; on SQLite an FTS5 trigram table, kept in step by triggers, serves the same
substring match. Both are created by customers/migrations/0002_contact_search.py.
"""

import re
from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

# Trigram indexes need at least three characters; shorter terms scan and rely on the page filling early.
INDEXED_TERM_LENGTH = 3
MAX_TERM_LENGTH = 200
SQLITE_SEARCH_TABLE = "customers_contact_search"

_PHONE_LIKE = re.compile(r"[\d\s+\-().]+")
_WHITESPACE = re.compile(r"\s+")


def search_document(
    *, first_name: str, last_name: str, email: str, phones: Iterable[str] = (), company_names: Iterable[str] = ()
) -> str:
    """Return the text a contact is found by. Phones are E.164; their digits are stored without the '+'."""
    parts = [f"{first_name} {last_name}", email, *(number.lstrip("+") for number in phones), *company_names]
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
    term = normalise_term(term)
    if not term:
        return contacts
    if connection.vendor == "sqlite" and len(term) >= INDEXED_TERM_LENGTH:
        # An FTS5 phrase of the whole term: double quotes are escaped by doubling and every other
        # character, %, _ and \ included, is a literal part of the trigrams.
        phrase = '"' + term.replace('"', '""') + '"'
        # The table name is our constant; the term is a bound parameter.
        sql = f"SELECT rowid FROM {SQLITE_SEARCH_TABLE} WHERE {SQLITE_SEARCH_TABLE} MATCH %s"  # noqa: S608
        return contacts.filter(pk__in=RawSQL(sql, [phrase]))  # noqa: S611
    # Django escapes %, _ and \ for LIKE, so they match themselves.
    return contacts.filter(search_document__contains=term)
