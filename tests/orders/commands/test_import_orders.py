"""manage.py import_orders: JSON Lines or CSV, bad orders reported and skipped, a re-run changes nothing."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from customers.models import Activity, Contact, PhoneNumber, Stage
from orders.models import Order, OrderConflict, OrderLine
from orders.services import order_sync_placed, orders_sync_placed_batch
from tests.factories import ContactFactory
from tests.orders.test_payload import HUGE, order_payload, with_number

pytestmark = pytest.mark.django_db


def run(path, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_orders", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write_jsonl(tmp_path, orders: list, name="orders.jsonl"):
    path = tmp_path / name
    path.write_text("".join(item if isinstance(item, str) else json.dumps(item) + "\n" for item in orders))
    return path


def counts() -> dict[str, int]:
    models = (Contact, Order, OrderLine, Activity, PhoneNumber)
    return {model.__name__: model.objects.count() for model in models}


def three_orders_and_a_bad_one() -> list:
    return [
        order_payload(id="1003", email="ann@x.com", placed_at="2026-03-03T09:00:00+00:00", total=None),
        order_payload(id="1001", email="Ann@X.com", placed_at="2026-03-01T09:00:00+00:00", total=None),
        order_payload(id="1002", email="not-an-email"),
        order_payload(id="1004", email="bob@example.com", placed_at="2026-03-02T09:00:00+00:00", total=None),
    ]


def test_a_jsonl_file_is_imported_and_the_bad_line_reported(tmp_path):
    path = write_jsonl(tmp_path, three_orders_and_a_bad_one())
    out, _ = run(path)
    assert out == (
        "Created 3 orders (2 new contacts, 0 updated), 0 already imported, skipped 1:\n"
        "  line 3: email: Enter a valid email address.\n"
    )
    assert sorted(Order.objects.values_list("shop_order_id", flat=True)) == ["1001", "1003", "1004"]
    ann = Contact.objects.get(email__iexact="ann@x.com")
    assert (ann.orders_count, ann.total_spent) == (2, Decimal("78.90"))


def test_orders_are_stored_oldest_first(tmp_path):
    path = write_jsonl(tmp_path, three_orders_and_a_bad_one())
    run(path)
    stored = list(Order.objects.order_by("pk").values_list("shop_order_id", flat=True))
    assert stored == ["1001", "1004", "1003"]
    # The contact was created by the oldest order, so it keeps the email as that order typed it.
    assert Contact.objects.filter(email="Ann@X.com").exists()


def test_running_the_same_file_again_changes_nothing(tmp_path):
    path = write_jsonl(tmp_path, three_orders_and_a_bad_one())
    run(path)
    before = counts()
    out, _ = run(path)
    assert counts() == before
    assert out.startswith("Created 0 orders (0 new contacts, 0 updated), 3 already imported, skipped 1:\n")


def test_orders_for_known_contacts_count_as_updated(tmp_path):
    ContactFactory(email="BOB@example.com")
    path = write_jsonl(tmp_path, three_orders_and_a_bad_one())
    out, _ = run(path)
    assert out.startswith("Created 3 orders (1 new contacts, 1 updated)")
    assert Contact.objects.count() == 2


def test_lines_that_are_not_json_or_repeat_an_order_are_skipped_and_blank_lines_ignored(tmp_path):
    path = write_jsonl(
        tmp_path,
        [
            order_payload(id="1"),
            "\n",
            '{"id": "2", "email": \n',
            order_payload(id="1", email="other@example.com"),
            "[1, 2]\n",
            order_payload(id="3", lines=[{"name": "Mug", "quantity": -1, "unit_price": "1.00"}]),
        ],
    )
    out, _ = run(path)
    assert out.splitlines() == [
        "Created 1 orders (1 new contacts, 0 updated), 0 already imported, skipped 4:",
        "  line 3: not valid JSON: Expecting value at column 22",
        "  line 4: id: order 1 is already on line 1",
        "  line 5: the order must be a JSON object",
        "  line 6: lines[0].quantity: must be a whole number of at least 1",
    ]


def test_bytes_that_are_not_utf8_are_reported_on_their_line(tmp_path):
    path = tmp_path / "orders.jsonl"
    good = json.dumps(order_payload(id="1")).encode()
    bad_name = json.dumps(order_payload(id="2")).encode().replace(b"Lee", b"L\xe9e")
    bad_line = json.dumps(order_payload(id="3")).encode().replace(b"Tea towel", b"Tea t\xf6wel")
    path.write_bytes(good + b"\n" + bad_name + b"\n" + bad_line + b"\n")
    out, _ = run(path)
    assert "  line 3: lines[1].name: contains characters that are not valid Unicode text" in out
    assert (
        "  line 2 (order 2): stored, but these could not be read: "
        "customer.last_name (contains characters that are not valid Unicode text)"
    ) in out
    assert sorted(Order.objects.values_list("shop_order_id", flat=True)) == ["1", "2"]
    assert Order.objects.get(shop_order_id="2").buyer_unread[0]["value"] == "L\\udce9e"


def test_nul_bytes_in_a_line_are_field_errors_and_a_10_kb_name_is_kept_unread(tmp_path):
    path = write_jsonl(
        tmp_path,
        [
            order_payload(id="1", customer={"first_name": "A" * 10_240}),
            order_payload(id="2", lines=[{"name": "M\x00ug", "quantity": 1, "unit_price": "1.00"}]),
            order_payload(id="3", currency="ZZZ"),
            order_payload(id="4"),
        ],
    )
    out, _ = run(path)
    assert out.splitlines()[1:] == [
        "  line 1 (order 1): stored, but these could not be read: "
        "customer.first_name (must be at most 150 characters (it has 10,240))",
        "  line 2: lines[0].name: must not contain NUL characters",
        "  line 3: currency: ZZZ is not a currency this shop accepts",
    ]
    assert sorted(Order.objects.values_list("shop_order_id", flat=True)) == ["1", "4"]


def test_huge_json_numbers_are_reported_on_their_line_and_the_next_orders_stored(tmp_path):
    """Python refuses to read an int of over 4,300 digits; the import reports it and carries on."""
    path = write_jsonl(
        tmp_path,
        [
            order_payload(id="1"),
            with_number("lines.0.quantity", HUGE).replace('"1001"', '"2"') + "\n",
            with_number("id", HUGE) + "\n",
            with_number("total", f"-{HUGE}").replace('"1001"', '"4"') + "\n",
            with_number("note", HUGE).replace('"1001"', '"5"') + "\n",
            order_payload(id="6"),
        ],
    )
    out, _ = run(path)
    assert out.splitlines() == [
        "Created 3 orders (1 new contacts, 0 updated), 0 already imported, skipped 3:",
        "  line 2: lines[0].quantity: must be at most 1,000,000",
        "  line 3: id: must be at most 100 characters (it has 5,000)",
        "  line 4: total: must not be negative",
    ]
    assert sorted(Order.objects.values_list("shop_order_id", flat=True)) == ["1", "5", "6"]


def test_an_order_id_imported_before_with_other_content_is_reported_and_counted_apart(tmp_path):
    run(write_jsonl(tmp_path, [order_payload(id="1001"), order_payload(id="1002")], name="first.jsonl"))
    ann = Contact.objects.get()
    before = (ann.activities.count(), ann.phones.count(), OrderLine.objects.count())
    stored = Order.objects.get(shop_order_id="1001").total
    path = write_jsonl(
        tmp_path,
        [
            order_payload(id="1002"),
            order_payload(id="1003", email="not-an-email"),
            order_payload(id="1001", shipping="5.95", total="40.45"),
            order_payload(id="1004", email="bob@example.com"),
        ],
    )
    out, _ = run(path)
    assert out.splitlines() == [
        "Created 1 orders (1 new contacts, 0 updated), 1 already imported, 1 sent before with different content, "
        "skipped 1:",
        "  line 2: email: Enter a valid email address.",
        "  line 3 (order 1001): sent before with different content: shipping 4.95 → 5.95, total 39.45 → 40.45; "
        "the first version is kept",
    ]
    assert (ann.activities.count(), ann.phones.count(), OrderLine.objects.count() - 2) == before
    assert sorted(Order.objects.values_list("shop_order_id", flat=True)) == ["1001", "1002", "1004"]
    assert Order.objects.get(shop_order_id="1001").total == stored
    conflict = OrderConflict.objects.get()
    assert (conflict.order.shop_order_id, conflict.source, conflict.deliveries) == ("1001", "import", 1)
    run(path)
    assert OrderConflict.objects.get().deliveries == 2


def test_an_order_the_database_refuses_is_reported_and_the_others_stored(tmp_path, monkeypatch):
    def refuse_1002(*, data, **options):
        if data.shop_order_id == "1002":
            raise DatabaseError("value too long")
        return order_sync_placed(data=data, **options)

    def refuse_batches_with_1002(*, datas, **options):
        if any(data.shop_order_id == "1002" for data in datas):
            raise DatabaseError("value too long")
        return orders_sync_placed_batch(datas=datas, **options)

    # The batch holding 1002 is refused, then stored order by order: only 1002 is lost.
    monkeypatch.setattr("orders.management.commands.import_orders.orders_sync_placed_batch", refuse_batches_with_1002)
    monkeypatch.setattr("orders.management.commands.import_orders.order_sync_placed", refuse_1002)
    path = write_jsonl(tmp_path, [order_payload(id=str(number)) for number in (1001, 1002, 1003)])
    out, _ = run(path)
    assert out.splitlines() == [
        "Created 2 orders (1 new contacts, 0 updated), 0 already imported, skipped 1:",
        "  line 2 (order 1002): could not be stored: value too long",
    ]
    assert Order.objects.count() == 2


def test_the_progress_bar_is_drawn_on_stderr_when_asked(tmp_path):
    path = write_jsonl(tmp_path, three_orders_and_a_bad_one())
    out, err = run(path, "--progress")
    assert err.startswith("\rStoring orders [")
    assert "] 3/3 (" in err
    assert err.endswith("/s)\n")
    assert "\r" not in out


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path):
    path = write_jsonl(tmp_path, three_orders_and_a_bad_one())
    assert run(path)[1] == ""
    assert run(path, "--no-progress")[1] == ""


def test_an_unreadable_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "missing.jsonl")
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path)


def test_an_empty_file_imports_nothing(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("")
    assert run(path)[0] == "Created 0 orders (0 new contacts, 0 updated), 0 already imported, skipped 0.\n"


CSV_HEADER = [
    "id",
    "email",
    "placed_at",
    "currency",
    "first_name",
    "last_name",
    "phone",
    "accepts_marketing",
    "address1",
    "city",
    "zip",
    "country_code",
    "shipping",
    "tax",
    "total",
    "line_name",
    "line_sku",
    "line_quantity",
    "line_unit_price",
    "line_total",
]


def write_csv(tmp_path, rows: list[list[str]], header=CSV_HEADER):
    path = tmp_path / "orders.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def row(**values: str) -> list[str]:
    return [values.get(name, "") for name in CSV_HEADER]


MUG = {"line_name": "Mug", "line_quantity": "1", "line_unit_price": "5.00"}
ANN = {"email": "Ann@X.com", "placed_at": "2026-03-01T09:00:00Z", "currency": "EUR", "first_name": "Ann"}
CSV_ROWS = [
    # One row per order line; the order's own columns only on its first row, as in the shop's export.
    row(
        id="1001",
        **ANN,
        last_name="Lee",
        phone="020 7183 8750",
        accepts_marketing="yes",
        address1="1 High St",
        city="York",
        zip="YO1 7HH",
        country_code="GB",
        shipping="4.95",
        tax="0",
        total="39.45",
        line_name="Ceramic mug",
        line_sku="MUG-1",
        line_quantity="2",
        line_unit_price="14.00",
        line_total="28.00",
    ),
    row(id="1001", line_name="Tea towel", line_quantity="1", line_unit_price="6.50"),
    row(id="1002", **{**ANN, "email": "ann@x.com", "placed_at": "2026-03-02T09:00:00Z"}, **MUG),
    row(id="1003", email="cy@example.com", placed_at="2026-03-03T09:00:00Z", currency="EUR", **MUG),
    row(id="1003", line_name="Spoon", line_quantity="-1", line_unit_price="1.00"),
    row(id="1004", email="dee@example.com", placed_at="2026-03-04T09:00:00Z", currency="EUR", **MUG),
    row(id="1004", email="eve@example.com", line_name="Cup", line_quantity="1", line_unit_price="5.00"),
]


def test_a_csv_file_groups_rows_into_orders_and_reports_the_bad_row(tmp_path):
    out, _ = run(write_csv(tmp_path, CSV_ROWS))
    assert out.splitlines() == [
        "Created 2 orders (1 new contacts, 0 updated), 0 already imported, skipped 2:",
        "  line 6 (order 1003): lines[1].quantity: must be a whole number of at least 1",
        "  line 8 (order 1004): email: differs from the order's first row (line 7)",
    ]
    first = Order.objects.get(shop_order_id="1001")
    assert [(line.name, line.quantity, line.unit_price) for line in first.lines.all()] == [
        ("Ceramic mug", 2, Decimal("14.00")),
        ("Tea towel", 1, Decimal("6.50")),
    ]
    assert (first.total, first.city, first.buyer_phone) == (Decimal("39.45"), "York", "+442071838750")
    contact = Contact.objects.get()
    assert (contact.orders_count, contact.first_name) == (2, "Ann")


def test_a_cell_over_the_csv_modules_limit_refuses_its_whole_order(tmp_path):
    rows = [*CSV_ROWS[:1], row(id="1001", line_name="T" * 200_000, line_quantity="1", line_unit_price="6.50")]
    out, _ = run(write_csv(tmp_path, [*rows, CSV_ROWS[2]]))
    assert out.splitlines() == [
        "Created 1 orders (1 new contacts, 0 updated), 0 already imported, skipped 1:",
        "  line 3 (order 1001): lines[1].name: must be at most 200 characters (it has 200,000)",
    ]
    assert Order.objects.get().shop_order_id == "1002"


def test_a_csv_file_the_csv_module_cannot_read_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr("orders.management.commands.import_orders.CSV_FIELD_SIZE_LIMIT", 1000)
    rows = [*CSV_ROWS[:1], row(id="1001", line_name="T" * 2000, line_quantity="1", line_unit_price="6.50")]
    with pytest.raises(CommandError, match=r"Line 3 is not valid CSV: field larger than field limit \(1000\)"):
        run(write_csv(tmp_path, rows))
    assert not Order.objects.exists()


def test_a_csv_file_imported_again_changes_nothing(tmp_path):
    path = write_csv(tmp_path, CSV_ROWS)
    run(path)
    before = counts()
    out, _ = run(path)
    assert counts() == before
    assert out.startswith("Created 0 orders (0 new contacts, 0 updated), 2 already imported, skipped 2:")


def test_a_csv_file_without_the_required_columns_is_an_error(tmp_path):
    path = write_csv(tmp_path, [], header=["id", "email", "line_name"])
    with pytest.raises(CommandError, match="lacks the columns placed_at, currency, line_quantity, line_unit_price"):
        run(path)


def test_the_format_can_be_given_for_any_file_name(tmp_path):
    path = write_csv(tmp_path, CSV_ROWS[:2])
    renamed = path.rename(tmp_path / "export.txt")
    out, _ = run(renamed, "--format", "csv")
    assert out.startswith("Created 1 orders")


def test_a_huge_number_in_a_csv_cell_is_a_field_error(tmp_path):
    rows = [
        row(id="1001", **ANN, line_name="Mug", line_quantity=HUGE, line_unit_price="5.00"),
        row(id="1002", **ANN, line_name="Mug", line_quantity="1", line_unit_price=HUGE),
        row(id="1003", **ANN, **MUG),
    ]
    out, _ = run(write_csv(tmp_path, rows))
    assert out.splitlines() == [
        "Created 1 orders (1 new contacts, 0 updated), 0 already imported, skipped 2:",
        "  line 2 (order 1001): lines[0].quantity: must be at most 1,000,000",
        "  line 3 (order 1002): lines[0].unit_price: must be at most 9999999999.99",
    ]
    assert Order.objects.get().shop_order_id == "1003"


def test_a_csv_order_with_a_phone_that_cannot_be_one_is_stored_and_its_lead_becomes_a_customer(tmp_path):
    lead = ContactFactory(email="ann@x.com", stage=Stage.LEAD)
    path = write_csv(tmp_path, [row(id="1001", **ANN, phone="0123", **MUG), row(id="1002", **ANN, **MUG)])
    out, _ = run(path)
    assert out.splitlines() == [
        "Created 2 orders (0 new contacts, 1 updated), 1 with details that could not be read, "
        "0 already imported, skipped 0:",
        "  line 2 (order 1001): stored, but these could not be read: customer.phone "
        "(This number is too short. Enter it with its area code, like 07700 900123 or +44 7700 900123)",
    ]
    contact = Contact.objects.get(pk=lead.pk)
    assert (contact.stage, contact.orders_count, contact.phones.count()) == (Stage.CUSTOMER, 2, 0)
    assert Order.objects.get(shop_order_id="1001").buyer_unread[0]["value"] == "0123"
    assert (
        contact.activities.get(event="order_details_unread").body == "Phone '0123' from Order #1001 could not be read"
    )
