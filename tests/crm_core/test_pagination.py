"""Keyset cursors survive tampering, and counts are exact when cheap and honest estimates when not."""

import base64
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from crm_core import pagination
from crm_core.pagination import (
    AFTER,
    Cursor,
    InvalidCursor,
    Ordering,
    RowCount,
    count_rows,
    count_rows_split,
    decode_cursor,
    encode_cursor,
)
from customers.models import Contact
from tests.factories import ContactFactory

BY_CREATED = Ordering(("created_at", "id"), descending=True)
BY_LAST_ORDER = Ordering(("last_order_at", "id"), descending=True)
BY_TOTAL_SPENT = Ordering(("total_spent", "id"), descending=True)


def token(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_a_cursor_round_trips_with_its_types():
    moment = timezone.now()
    cursor = decode_cursor(encode_cursor(Cursor(AFTER, (moment, 42))), model=Contact, ordering=BY_CREATED)
    assert cursor == Cursor(AFTER, (moment, 42))


def test_a_null_is_allowed_only_where_the_field_is_nullable():
    assert decode_cursor(token(["a", [None, 3]]), model=Contact, ordering=BY_LAST_ORDER).key == (None, 3)
    with pytest.raises(InvalidCursor):
        decode_cursor(token(["a", [None, 3]]), model=Contact, ordering=BY_CREATED)


@pytest.mark.parametrize(
    "bad",
    [
        "not base64!",
        "",
        "%%%",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        token("just a string"),
        token(["x", ["2026-01-01T00:00:00+00:00", 1]]),
        token(["a", ["2026-01-01T00:00:00+00:00"]]),
        token(["a", ["2026-01-01T00:00:00+00:00", 1, 2]]),
        token(["a", ["yesterday", 1]]),
        token(["a", ["2026-01-01T00:00:00+00:00", "one"]]),
        token(["a", ["2026-01-01T00:00:00+00:00", True]]),
        token(["a", [["nested"], 1]]),
        token(["a", ["2026-01-01T00:00:00+00:00", 10**40]]),
        token({"a": 1}),
        token(["a", ["2026-01-01T00:00:00\u0000", 1]]),
        # Moments beyond UTC's calendar, and one without an offset (ours always carry one).
        token(["a", ["9999-12-31T23:59:59-14:00", 1]]),
        token(["a", ["0001-01-01T00:00:00+14:00", 1]]),
        token(["a", ["2026-01-01T00:00:00", 1]]),
        # Ids beyond 64 bits, as numbers and as text.
        token(["a", ["2026-01-01T00:00:00+00:00", -(2**63) - 1]]),
        token(["a", ["2026-01-01T00:00:00+00:00", "9223372036854775808"]]),
        token(["a", ["2026-01-01T00:00:00+00:00", "9" * 40]]),
    ],
)
def test_a_tampered_cursor_is_refused(bad):
    with pytest.raises(InvalidCursor):
        decode_cursor(bad, model=Contact, ordering=BY_CREATED)


@pytest.mark.parametrize("amount", ["1e999999", "1e-999999", "1" + "0" * 12, "0.001", "NaN", "Infinity"])
def test_an_amount_its_column_cannot_hold_is_refused(amount):
    """total_spent is numeric(14, 2): at most 12 digits before the point and 2 after."""
    with pytest.raises(InvalidCursor):
        decode_cursor(token(["a", [amount, 1]]), model=Contact, ordering=BY_TOTAL_SPENT)


def test_the_largest_amount_and_id_a_column_holds_are_a_cursor():
    cursor = decode_cursor(token(["a", ["999999999999.99", 2**63 - 1]]), model=Contact, ordering=BY_TOTAL_SPENT)
    assert cursor.key == (Decimal("999999999999.99"), 2**63 - 1)


def _analyze():
    """Give PostgreSQL's planner true statistics; on a table it has never analysed it guesses."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_contact")


@pytest.mark.django_db
def test_counts_are_exact_up_to_the_limit(monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 5)
    for _ in range(5):
        ContactFactory()
    _analyze()
    assert count_rows(Contact.objects.all()) == pagination.RowCount(5, exact=True)


@pytest.mark.django_db
def test_beyond_the_limit_the_count_is_an_estimate_and_says_so(monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 5)
    for _ in range(7):
        ContactFactory()
    _analyze()
    count = count_rows(Contact.objects.all())
    assert not count.exact
    # Never fewer than the rows the capped count already saw.
    assert count.value >= 6


@pytest.mark.parametrize(("value", "shown"), [(7, 7), (10_001, 10_000), (1_243_512, 1_200_000), (98_765, 99_000)])
def test_estimates_keep_two_significant_figures(value, shown):
    assert pagination._round(value) == shown


@pytest.mark.django_db
def test_a_first_page_that_holds_every_row_is_its_own_count(django_assert_num_queries):
    for _ in range(3):
        ContactFactory()
    ordering = Ordering(("created_at", "id"), descending=True)
    page = pagination.keyset_page(Contact.objects.all(), ordering=ordering, size=5)
    with django_assert_num_queries(0):
        assert pagination.count_from_page(page, from_start=True) == pagination.RowCount(3, True)
    assert pagination.count_from_page(page, from_start=False) is None


@pytest.mark.django_db
class TestCountsSplitByStage:
    """The list's tabs: all and each stage, counted at once when few, else as count_rows would each."""

    def test_few_matches_are_counted_exactly_in_one_query(self, django_assert_num_queries):
        ContactFactory.create_batch(2, stage="customer")
        ContactFactory.create_batch(3, stage="lead")
        _analyze()
        with django_assert_num_queries(2 if connection.vendor == "postgresql" else 1):
            counts = count_rows_split(Contact.objects.all(), field="stage", values=["customer", "lead"])
        assert counts == {
            "all": RowCount(5, exact=True),
            "customer": RowCount(2, exact=True),
            "lead": RowCount(3, exact=True),
        }

    def test_beyond_the_limit_all_is_estimated_and_a_few_customers_still_counted(self, monkeypatch):
        monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 5)
        ContactFactory.create_batch(2, stage="customer")
        ContactFactory.create_batch(9, stage="lead")
        _analyze()
        counts = count_rows_split(Contact.objects.all(), field="stage", values=["customer", "lead"])
        assert not counts["all"].exact
        assert counts["all"].value >= 6
        assert not counts["lead"].exact
        if connection.vendor == "postgresql":
            assert counts["customer"] == RowCount(2, exact=True)
        else:
            # SQLite counts all of them once and remembers it, so none of them is said to be exact.
            assert counts == {
                "all": RowCount(11, exact=False),
                "customer": RowCount(2, exact=False),
                "lead": RowCount(9, exact=False),
            }

    @pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL asks its planner instead.")
    def test_sqlite_remembers_a_count_beyond_the_limit_and_asks_nothing_while_it_does(
        self, monkeypatch, django_assert_num_queries
    ):
        monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 2)
        ContactFactory.create_batch(4, stage="lead")
        count_rows_split(Contact.objects.all(), field="stage", values=["customer", "lead"])
        ContactFactory(stage="lead")
        with django_assert_num_queries(0):
            counts = count_rows_split(Contact.objects.all(), field="stage", values=["customer", "lead"])
        assert counts["all"] == RowCount(4, exact=False)
