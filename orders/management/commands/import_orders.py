"""Import placed orders from a JSON Lines or CSV file through order_sync_placed, the webhook's own service.

The whole file is read and checked first; orders that fail are reported with their line and skipped. The
rest are stored oldest first, 500 to a transaction (orders_sync_placed_batch, the same outcome as the
webhook's service order by order); a batch the database refuses is stored again order by order, so an order
that fails to store takes no other with it. Running the same file again finds every order already imported
and changes nothing. An order
id stored before with other content is reported and counted on its own; the stored order is kept.
"""

import csv
import re
import time
from argparse import ArgumentTypeError, BooleanOptionalAction
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import DatabaseError
from django.db.models import Max

from crm_core.actors import SYSTEM
from customers.models import Contact
from orders.models import DeliverySource
from orders.payload import PayloadError, payload_from_json, placed_order_from_payload
from orders.services import PlacedOrderInput, SyncResult, order_sync_placed, orders_sync_placed_batch
from orders.shops.exports import SHOP_EXPORTS, SHOPIFY_EXPORT, Row, ShopExport, shop_export

# The CSV layout: one row per order line; the rows of one order share its id. Order columns may be left
# blank after the order's first row; when repeated they must agree with it.
CSV_ORDER_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "email": ("email",),
    "placed_at": ("placed_at",),
    "currency": ("currency",),
    "first_name": ("customer", "first_name"),
    "last_name": ("customer", "last_name"),
    "phone": ("customer", "phone"),
    "accepts_marketing": ("customer", "accepts_marketing"),
    "address1": ("shipping_address", "address1"),
    "address2": ("shipping_address", "address2"),
    "city": ("shipping_address", "city"),
    "province": ("shipping_address", "province"),
    "zip": ("shipping_address", "zip"),
    "country_code": ("shipping_address", "country_code"),
    "shipping": ("shipping",),
    "tax": ("tax",),
    "total": ("total",),
}
CSV_LINE_COLUMNS = {
    "line_name": "name",
    "line_sku": "sku",
    "line_quantity": "quantity",
    "line_unit_price": "unit_price",
    "line_total": "total",
}
CSV_REQUIRED_COLUMNS = ("id", "email", "placed_at", "currency", "line_name", "line_quantity", "line_unit_price")
CSV_COLUMNS = (*CSV_ORDER_COLUMNS, *CSV_LINE_COLUMNS)
CSV_FIELD_SIZE_LIMIT = 64 * 1024 * 1024
# A shop's name as settings.SHOPIFY_SHOP_DOMAINS must be written.
SHOPIFY_DOMAIN = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")
# Orders stored in one transaction: large enough that the per-batch statements are a small share of an
# order's cost, small enough that a batch the database refuses is cheap to store again one by one.
BATCH_SIZE = 500


@dataclass
class Parsed:
    """What reading the file gave: orders by the line they start on, and the lines skipped with reasons."""

    orders: list[tuple[int, PlacedOrderInput]] = field(default_factory=list)
    # (line, where on the line, e.g. " (order 1003)" or "", reason)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)
    # Orders stored before with other content, as (line, where, what differs).
    conflicts: list[tuple[int, str, str]] = field(default_factory=list)
    # Orders stored with buyer details that could not be read, as (line, where, which and why).
    unread: list[tuple[int, str, str]] = field(default_factory=list)
    first_line_of: dict[str, int] = field(default_factory=dict)

    def add(
        self,
        line: int,
        payload: object,
        *,
        where: str = "",
        lines_at: list[int] | None = None,
        rename: Callable[[PayloadError], PayloadError] | None = None,
    ) -> None:
        """Add the order, or skip it with the error, named in the file's own columns when `rename` says how."""
        try:
            data = placed_order_from_payload(payload)
        except PayloadError as error:
            shown = rename(error) if rename else error
            self.skip(_line_of_error(error, line, lines_at), str(shown), where=where)
            return
        first = self.first_line_of.setdefault(data.shop_order_id, line)
        if first != line:
            self.skip(line, f"id: order {data.shop_order_id} is already on line {first}", where=where)
            return
        self.orders.append((line, data))

    def skip(self, line: int, reason: str, *, where: str = "") -> None:
        self.skipped.append((line, where, reason))


class Command(BaseCommand):
    help = (
        "Import placed orders from a JSON Lines (one order per line) or CSV file (one row per order line). "
        "Bad orders are reported and skipped; importing the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .jsonl or .csv file")
        parser.add_argument(
            "--format",
            dest="file_format",
            choices=["jsonl", "csv"],
            help="the file's format (default: csv for a .csv file, else jsonl)",
        )
        parser.add_argument(
            "--progress",
            action=BooleanOptionalAction,
            default=None,
            help="show a progress bar on stderr (default: when stderr is a terminal)",
        )
        parser.add_argument(
            "--shop",
            type=_shop_argument,
            help="for Shopify's orders export, the shop it is from, e.g. acme.myshopify.com "
            "(default: the one shop in SHOPIFY_SHOP_DOMAINS)",
        )

    def handle(
        self, *, file: str, file_format: str | None, progress: bool | None, shop: str | None, **options: Any
    ) -> None:
        path = Path(file)
        fmt = file_format or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
        try:
            # Bytes that are not UTF-8 are kept as stand-ins that the payload check names, field by field.
            with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
                parsed = _read_csv(handle, shop=shop) if fmt == "csv" else _read_jsonl(handle)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from error
        # Oldest first, so each contact ends with the details of its latest order; ties keep the file's order.
        parsed.orders.sort(key=lambda item: item[1].placed_at)
        show = self.stderr.isatty() if progress is None else progress
        bar = ProgressBar(self.stderr, total=len(parsed.orders), enabled=show)
        counts = self._store(parsed, bar)
        self.stdout.write(_summary(counts, parsed))

    def _store(self, parsed: Parsed, bar: "ProgressBar") -> dict[str, Any]:
        last_contact_before = Contact.objects.aggregate(last=Max("pk"))["last"] or 0
        counts = {"created": 0, "replayed": 0}
        new_contacts: set[int] = set()
        updated_contacts: set[int] = set()
        for start in range(0, len(parsed.orders), BATCH_SIZE):
            batch = parsed.orders[start : start + BATCH_SIZE]
            for (line, data), result in zip(batch, _batch_store(batch), strict=True):
                where = f" (order {data.shop_order_id})"
                if isinstance(result, DatabaseError):
                    parsed.skip(line, f"could not be stored: {result}", where=where)
                elif result.conflict is not None:
                    differs = f"sent before with different content: {result.conflict.summary}"
                    parsed.conflicts.append((line, where, f"{differs}; the first version is kept"))
                elif result.created:
                    counts["created"] += 1
                    if data.unread:
                        details = "; ".join(f"{detail.field} ({detail.reason})" for detail in data.unread)
                        parsed.unread.append((line, where, f"stored, but these could not be read: {details}"))
                    pk = result.contact.pk
                    (new_contacts if pk > last_contact_before else updated_contacts).add(pk)
                else:
                    counts["replayed"] += 1
            bar.update(start + len(batch))
        bar.finish()
        return counts | {"new": len(new_contacts), "updated": len(updated_contacts - new_contacts)}


def _batch_store(batch: list[tuple[int, PlacedOrderInput]]) -> list[SyncResult | DatabaseError]:
    """Store a batch in one transaction; if the database refuses it, its orders one by one, each on its own.

    So one order the database refuses (or a race for a new buyer's email) costs its batch the speed, never
    the other orders.
    """
    try:
        return orders_sync_placed_batch(datas=[data for _, data in batch], actor=SYSTEM, source=DeliverySource.IMPORT)
    except DatabaseError:
        results: list[SyncResult | DatabaseError] = []
        for _, data in batch:
            try:
                results.append(order_sync_placed(data=data, actor=SYSTEM, source=DeliverySource.IMPORT))
            except DatabaseError as error:
                results.append(error)
        return results


def _read_jsonl(handle: IO[str]) -> Parsed:
    parsed = Parsed()
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            payload = payload_from_json(text.rstrip("\r\n"))
        except PayloadError as error:
            parsed.skip(number, str(error))
            continue
        parsed.add(number, payload)
    return parsed


def _read_csv(handle: IO[str], *, shop: str | None) -> Parsed:
    # A cell longer than the csv module's limit (128 kB) would make its row unreadable, and the order would
    # be stored without that line. With the limit raised, the order is refused as a whole, naming the field.
    limit = csv.field_size_limit(CSV_FIELD_SIZE_LIMIT)
    try:
        return _read_csv_rows(handle, shop=shop)
    finally:
        csv.field_size_limit(limit)


def _read_csv_rows(handle: IO[str], *, shop: str | None) -> Parsed:
    """Read this app's CSV layout or a shop's order export, told apart by the header."""
    parsed = Parsed()
    reader = csv.reader(handle)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        return parsed
    except csv.Error as error:
        raise CommandError(f"The CSV header cannot be read: {error}") from error
    export = shop_export(header)
    if export is None:
        missing = [name for name in CSV_REQUIRED_COLUMNS if name not in header]
        if missing:
            raise CommandError(_unknown_header(missing))
    # Resolved before the rows are read, so a missing --shop is said at once.
    options = {"shop_domain": _shop_domain(shop)} if export is SHOPIFY_EXPORT else {}
    key = export.key if export else "id"
    # Only the columns read are kept, so a wide export takes no more memory than this app's own layout.
    columns = {name: header.index(name) for name in (export.columns if export else CSV_COLUMNS) if name in header}
    groups: dict[str, list[Row]] = {}
    for number, row in _csv_rows(reader):
        values = {name: row[index].strip() if index < len(row) else "" for name, index in columns.items()}
        if not any(values.values()):
            continue
        if not values[key.lower()]:
            parsed.skip(number, f"{key}: is required")
            continue
        groups.setdefault(values[key.lower()], []).append((number, values))
    for order_key, rows in groups.items():
        if export is None:
            _add_csv_order(parsed, order_key, rows)
        else:
            _add_export_order(parsed, export, rows, options=options)
    return parsed


def _unknown_header(missing: list[str]) -> str:
    shops = "; ".join(f"{export.title}: {', '.join(export.required)}" for export in SHOP_EXPORTS)
    return (
        f"The CSV file lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}, and is not one of "
        f"the shop exports this command reads, which have the columns ({shops})"
    )


def _shop_argument(value: str) -> str:
    domain = value.strip().lower()
    if not SHOPIFY_DOMAIN.fullmatch(domain):
        raise ArgumentTypeError(f"{value!r} is not a shop's *.myshopify.com name, such as acme.myshopify.com")
    return domain


def _shop_domain(shop: str | None) -> str:
    """Return the shop a Shopify export is from: --shop, else the one shop in SHOPIFY_SHOP_DOMAINS."""
    if shop:
        return shop
    domains = getattr(settings, "SHOPIFY_SHOP_DOMAINS", [])
    if len(domains) == 1:
        return domains[0]
    # The shop is part of each order's key (the webhook's too), so it cannot be guessed among several.
    raise CommandError(
        "This is Shopify's orders export: pass --shop with the shop it is from, such as acme.myshopify.com "
        f"(SHOPIFY_SHOP_DOMAINS names {len(domains)} shops)"
    )


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Yield each row with the line it starts on (a quoted cell may span lines)."""
    start = reader.line_num + 1
    try:
        for row in reader:
            yield start, row
            start = reader.line_num + 1
    except csv.Error as error:
        # The row cannot be told apart from its neighbours, so no order can be trusted to be whole.
        raise CommandError(f"Line {start} is not valid CSV: {error}") from error


def _add_csv_order(parsed: Parsed, order_id: str, rows: list[tuple[int, dict[str, str]]]) -> None:
    first_line, first = rows[0]
    where = f" (order {order_id})"
    for number, values in rows[1:]:
        for name in CSV_ORDER_COLUMNS:
            if values.get(name) and values[name] != first.get(name):
                parsed.skip(number, f"{name}: differs from the order's first row (line {first_line})", where=where)
                return
    payload: dict[str, Any] = {}
    for name, (*parents, key) in CSV_ORDER_COLUMNS.items():
        if first.get(name):
            target = payload
            for parent in parents:
                target = target.setdefault(parent, {})
            target[key] = first[name]
    payload["lines"] = [
        {key: values[name] for name, key in CSV_LINE_COLUMNS.items() if values.get(name)} for _, values in rows
    ]
    parsed.add(first_line, payload, where=where, lines_at=[number for number, _ in rows])


def _add_export_order(parsed: Parsed, export: ShopExport, rows: list[Row], *, options: dict[str, str]) -> None:
    lines_at = [number for number, _ in rows]
    where = f" (order {rows[0][1][export.key.lower()]})"
    try:
        payload = export.translate(rows, **options)
    except PayloadError as error:
        parsed.skip(_line_of_error(error, lines_at[0], lines_at), str(export.error(error)), where=where)
        return
    # Errors named in the shop's own columns: what the person importing its export knows.
    parsed.add(lines_at[0], payload, where=where, lines_at=lines_at, rename=export.error)


def _line_of_error(error: PayloadError, line: int, lines_at: list[int] | None) -> int:
    """Return the line an error is on: for a CSV order line, the row of that line; else the order's first."""
    if lines_at and error.field.startswith("lines["):
        index = int(error.field[len("lines[") : error.field.index("]")])
        return lines_at[index]
    return line


def _summary(counts: dict[str, Any], parsed: Parsed) -> str:
    # Named only when there are any, so the usual summary stays as short as it was.
    differing = f"{len(parsed.conflicts):,} sent before with different content, " if parsed.conflicts else ""
    unread = f"{len(parsed.unread):,} with details that could not be read, " if parsed.unread else ""
    reported = sorted(parsed.skipped + parsed.conflicts + parsed.unread)
    lines = [
        f"Created {counts['created']:,} orders ({counts['new']:,} new contacts, {counts['updated']:,} updated), "
        f"{unread}{counts['replayed']:,} already imported, {differing}skipped {len(parsed.skipped):,}"
        f"{':' if reported else '.'}"
    ]
    lines.extend(f"  line {line}{where}: {reason}" for line, where, reason in reported)
    return "\n".join(lines)


class ProgressBar:
    """A one-line bar redrawn in place with a carriage return, at most ten times a second."""

    WIDTH = 30
    INTERVAL = 0.1

    def __init__(self, stream: OutputWrapper, *, total: int, enabled: bool) -> None:
        self.stream, self.total, self.enabled = stream, total, enabled
        self.started = time.monotonic()
        self.drawn_at = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.drawn_at < self.INTERVAL and done < self.total):
            return
        self.drawn_at = now
        filled = self.WIDTH * done // self.total if self.total else self.WIDTH
        rate = done / (now - self.started) if now > self.started else 0
        self.stream.write(
            f"\rStoring orders [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{self.total:,} ({rate:,.0f}/s)",
            style_func=str,
            ending="",
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.total:
            self.stream.write("", style_func=str)
