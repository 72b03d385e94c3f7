"""Build a large, realistic dataset quickly, to measure pages at 10k, 100k or 1M contacts (see bench/run.py).

    DATABASE_URL=… .venv/bin/python bench/data.py --size S|M|L [--if-empty]

Rows are generated in Python from small pools (Faker per row is far too slow at a million contacts) and
written with COPY on PostgreSQL and executemany elsewhere, all in one transaction. Both are ordinary
inserts: triggers fire for every row (SQLite's search table stays in step). On PostgreSQL the foreign keys
and plain indexes are set aside during the load and rebuilt from their definitions after it (see
CopyWriter), so the trigram and list indexes end up the same as if each row had been indexed on arrival.
"""

# ruff: noqa: S311 -- `random` makes reproducible test data here, never secrets.

import json
import os
import random
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

if __name__ == "__main__":
    # Run as a script: Django must find the project and its settings before the models are imported.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contacts_crm.settings")
    import django

    django.setup()

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from faker import Faker
from faker.providers.person.en_GB import Provider as PersonProvider

from companies.models import Company, CompanyAccess, Membership, MembershipAccess
from contacts_crm.management.commands import seed_demo
from crm_core.actors import ActorKind
from customers.models import (
    Activity,
    ActivityKind,
    ConsentChannel,
    ConsentRecord,
    ConsentSource,
    ConsentState,
    Contact,
    Label,
    LabelColour,
    OptInLevel,
    PhoneNumber,
    Source,
    Stage,
)
from customers.search import search_document
from orders.models import Order, OrderLine, OrderStatus

SIZES = {"S": 10_000, "M": 100_000, "L": 1_000_000}
SEED = 2026
COMPANY_SHARE = 0.10
MEMBER_SHARE = 0.60
WHALE_SHARE = 0.01
WHALE_ORDERS = 500
WHALE_ACTIVITIES = 2_000
# A quarter of contacts are leads without orders; customers place 2–6 (4 on average), so a normal contact
# averages 3 orders and both the lead and the customer tab have rows.
LEAD_SHARE = 0.25
CUSTOMER_ORDERS = (2, 6)
# Timelines follow from the data (created, consent, orders) and come to about 5 entries per contact with
# a note on one contact in ten. A whale's timeline is topped up with notes to 2,000 entries.
NOTE_SHARE = 0.10
CASE_VARIANT_SHARE = 0.03
HISTORY_DAYS = 4 * 365
LEAD_SOURCES = (Source.MANUAL, Source.CONTACT_FORM, Source.IMPORT)
# Cumulative shares of consent histories: none, subscribed, subscribed then unsubscribed, pending, unsubscribed.
CONSENT_MIX = [
    (0.45, []),
    (0.75, [ConsentState.SUBSCRIBED]),
    (0.85, [ConsentState.SUBSCRIBED, ConsentState.UNSUBSCRIBED]),
    (0.95, [ConsentState.PENDING]),
    (1.00, [ConsentState.UNSUBSCRIBED]),
]
# Ten digits for every order, so the shop's ids sort the same as text and as numbers.
SHOP_ORDER_BASE = 1_000_000_000
SHIPPING_CENTS = 495
FREE_SHIPPING_FROM_CENTS = 5_000
# Plain strings for the values written millions of times: reading a member of a choices enum is slower.
EVENT, NOTE = ActivityKind.EVENT.value, ActivityKind.NOTE.value
SHOP, STAFF = ActorKind.SHOP.value, ActorKind.STAFF.value
PLACED = OrderStatus.PLACED.value
# Orders draw their lines from a pool of baskets, which saves building lines and totals per order.
BASKETS = 5_000
# Planted possible duplicates (merges.finder): this many pairs for each of its four rules, spread evenly
# over the contacts (fewer in a small test dataset), each a contact and the one generated right after it.
# They change fields deterministically and draw nothing more from the seeded stream.
PLANTED_PER_REASON = 200
PLANTED_REASONS = ("phone", "name_company", "name_email", "email_local")
# Contacts generated per round: enough rows per COPY to amortise it, few enough to keep memory flat.
BATCH = 5_000

INTERESTS = ["Ceramics", "Textiles", "Woodwork", "Candles", "Kitchen", "Garden", "Gifts", "Stationery", "Lamps", "Rugs"]
SEGMENTS = ["fan", "wholesale", "trade", "press", "VIP"]
COMPANY_SUFFIXES = ["Ltd", "LLP", "& Co", "Group", "Studio", "Trading", "Holdings", "Partners"]
FREE_DOMAINS = ["example.com", "example.org", "example.net", "mail.example", "post.example"]
PRODUCT_KINDS = [
    ("mug", 1400),
    ("tea towel", 950),
    ("serving board", 4800),
    ("candle", 1200),
    ("bowl", 2200),
    ("vase", 3500),
    ("cushion", 2900),
    ("notebook", 800),
    ("lamp", 7900),
    ("rug", 12500),
]
PRODUCT_MATERIALS = ["Ceramic", "Linen", "Walnut", "Beeswax", "Stoneware", "Oak", "Wool", "Paper"]
NOTES = [
    *seed_demo.NOTES,
    "Complained about a late delivery; refunded the shipping.",
    "Interested in a custom order for a wedding.",
    "Left a voicemail, no answer yet.",
]


class Command(BaseCommand):
    help = "Fill an empty database with a benchmark dataset: S = 10k, M = 100k or L = 1M contacts."

    def add_arguments(self, parser) -> None:
        size = parser.add_mutually_exclusive_group(required=True)
        size.add_argument("--size", choices=SIZES, help="S = 10k, M = 100k, L = 1M contacts.")
        size.add_argument("--contacts", type=int, help="Any number of contacts from 100, for tests.")
        parser.add_argument("--seed", type=int, default=SEED, help="The same seed builds the same rows.")
        parser.add_argument("--yes-i-know", action="store_true", help="Run even though DEBUG is false.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already holds contacts."
        )

    def handle(self, *args, **options) -> None:
        contacts = SIZES[options["size"]] if options["size"] else options["contacts"]
        if contacts < 100:
            # With fewer there would be no whale, and the dataset would not have its shape.
            raise CommandError("Build at least 100 contacts.")
        if options["if_empty"] and Contact.objects.exists():
            self.stdout.write("The database already holds contacts; no benchmark data added.")
            return
        if not settings.DEBUG and not options["yes_i_know"]:
            raise CommandError("DEBUG is false: this may be a production database. Add --yes-i-know to go ahead.")
        occupied = [
            str(model._meta.verbose_name_plural) for model in (Contact, Company, Label, Order) if model.objects.exists()
        ]
        if occupied:
            raise CommandError(
                f"The database already holds {', '.join(occupied)}; bench/data.py only fills an empty database "
                "so benchmark rows never mix with real ones."
            )
        started = time.monotonic()
        dataset = Dataset(contacts=contacts, seed=options["seed"], vendor=connection.vendor)
        with transaction.atomic(), connection.cursor() as cursor:
            writer = CopyWriter(cursor) if connection.vendor == "postgresql" else InsertWriter(cursor)
            writer.prepare()
            reported = 0
            # One thread writes a batch while this one generates the next, so the database and Python work
            # at the same time.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending: Future | None = None
                for done, batch in dataset.batches():
                    if pending:
                        pending.result()
                    pending = pool.submit(writer.write_batch, batch)
                    if done * 10 // contacts > reported:
                        reported = done * 10 // contacts
                        self.stdout.write(
                            f"  {done:,} of {contacts:,} contacts generated ({time.monotonic() - started:.0f} s)"
                        )
                if pending:
                    pending.result()
            writer.finish()
            # Explicit ids leave PostgreSQL's sequences behind; later inserts by the app must not collide.
            for sql in connection.ops.sequence_reset_sql(no_style(), TABLE_MODELS):
                cursor.execute(sql)
        loaded = time.monotonic()
        with connection.cursor() as cursor:
            # Fresh statistics, so the planner sees the tables as they are now rather than empty.
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                # VACUUM as well: it sets the visibility map (index-only scans) and the rows' hint bits.
                # Benchmarks then measure the state autovacuum would reach anyway, at a moment nobody chose,
                # instead of competing with it. VACUUM cannot run inside a transaction (as in tests), where
                # ANALYZE alone has to do.
                tables = ", ".join(connection.ops.quote_name(table) for table, _ in TABLES.values())
                cursor.execute(f"VACUUM (ANALYZE) {tables}")
            else:
                cursor.execute("ANALYZE")
        summary = ", ".join(f"{rows:,} {name}" for name, rows in writer.counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {summary} in {loaded - started:.1f} s; statistics took {time.monotonic() - loaded:.1f} s."
            )
        )


def _table(model, *fields: str) -> tuple[str, tuple[str, ...]]:
    return model._meta.db_table, tuple(model._meta.get_field(field).column for field in fields)


ADDRESS = Contact.ADDRESS_FIELDS
# Every table filled, parents before children, with the columns written in the order rows list them.
TABLES = {
    "labels": _table(Label, "id", "created_at", "updated_at", "name", "colour"),
    "companies": _table(Company, "id", "created_at", "updated_at", "name", "domain", "default_portal_access"),
    # email_normalized is generated by the database and must not be written.
    "contacts": _table(
        Contact,
        "id",
        "created_at",
        "updated_at",
        "stage",
        "first_name",
        "last_name",
        "email",
        "image",
        # Written, not left to a default: SQLite's table rebuilds (a changed constraint) drop column defaults.
        "image_thumbnail",
        "details_locked",
        "source",
        "marketing_consent",
        "orders_count",
        "total_spent",
        "last_order_at",
        "search_document",
        *ADDRESS,
    ),
    "phones": _table(PhoneNumber, "id", "contact", "number", "label", "position"),
    "contact_labels": _table(Contact.labels.through, "id", "contact", "label"),
    "memberships": _table(Membership, "id", "created_at", "updated_at", "contact", "company", "portal_access"),
    "consent": _table(
        ConsentRecord,
        "id",
        "contact",
        "channel",
        "state",
        "opt_in_level",
        "source",
        "given_at",
        "collected_how",
        "recorded_at",
    ),
    "orders": _table(
        Order,
        "id",
        "created_at",
        "updated_at",
        "shop_order_id",
        "status",
        "contact",
        "buyer_email",
        "buyer_first_name",
        "buyer_last_name",
        "buyer_phone",
        "currency",
        "subtotal",
        "shipping",
        "tax",
        "total",
        "placed_at",
        *ADDRESS,
    ),
    "order_lines": _table(OrderLine, "id", "order", "name", "sku", "quantity", "unit_price", "total", "position"),
    "activities": _table(Activity, "id", "contact", "kind", "event", "body", "actor_kind", "data", "created_at"),
}
TABLE_MODELS = [
    Label,
    Company,
    Contact,
    PhoneNumber,
    Contact.labels.through,
    Membership,
    ConsentRecord,
    Order,
    OrderLine,
    Activity,
]


def _quoted(name: str) -> str:
    """Return `table (column, ...)` for one of TABLES, quoted for the database."""
    table, columns = TABLES[name]
    quote = connection.ops.quote_name
    return f"{quote(table)} ({', '.join(quote(column) for column in columns)})"


class CopyWriter:
    """PostgreSQL: one COPY per table and batch, into tables whose foreign keys and indexes are set aside.

    Checking each new row's foreign keys and adding it to a dozen indexes (a trigram one among them) costs
    PostgreSQL several times what storing it does; building an index or checking a key over a full table
    at the end is far cheaper. So, as PostgreSQL's manual advises for bulk loads, the foreign keys and the
    indexes that back no constraint are dropped first and recreated from their own definitions after the
    load, which checks every key and indexes every row. Primary keys and unique table constraints stay;
    conditional unique constraints (a live contact's email) are indexes, so they are checked when rebuilt.
    It is all one transaction: nobody sees the tables without them, and a failure restores them. The
    price: the tables, and auth_user (referenced by actor keys), are locked until the load commits.
    """

    def __init__(self, cursor) -> None:
        self.cursor = cursor
        self.counts = dict.fromkeys(TABLES, 0)
        self.foreign_keys: list[tuple[str, str, str]] = []
        self.indexes: list[tuple[str, str]] = []

    def prepare(self) -> None:
        tables = [table for table, _ in TABLES.values()]
        # Index builds and key checks sort in memory rather than on disk; for this transaction only.
        self.cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        self.cursor.execute("SET LOCAL work_mem = '256MB'")
        self.cursor.execute(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conrelid, conname",
            [tables],
        )
        self.foreign_keys = self.cursor.fetchall()
        self.cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) "
            "AND NOT EXISTS (SELECT FROM pg_constraint WHERE conindid = indexrelid) ORDER BY indexrelid",
            [tables],
        )
        self.indexes = self.cursor.fetchall()
        for table, name, _ in self.foreign_keys:
            self.cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _ in self.indexes:
            self.cursor.execute(f"DROP INDEX {name}")

    def write_batch(self, batch: dict[str, list[tuple]]) -> None:
        for name, rows in batch.items():
            with self.cursor.cursor.copy(f"COPY {_quoted(name)} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            self.counts[name] += len(rows)

    def finish(self) -> None:
        for _, definition in self.indexes:
            self.cursor.execute(definition)
        for table, name, definition in self.foreign_keys:
            self.cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


class InsertWriter:
    """SQLite: executemany inside the load's one transaction."""

    def __init__(self, cursor) -> None:
        self.cursor = cursor
        self.counts = dict.fromkeys(TABLES, 0)

    def prepare(self) -> None:
        # A larger page cache (256 MB, this connection only) keeps the indexes' pages in memory.
        self.cursor.execute("PRAGMA cache_size = -262144")

    def write_batch(self, batch: dict[str, list[tuple]]) -> None:
        for name, rows in batch.items():
            placeholders = ", ".join(["%s"] * len(TABLES[name][1]))
            # Only names from the models' metadata go into the statement; the values are parameters.
            self.cursor.executemany(f"INSERT INTO {_quoted(name)} VALUES ({placeholders})", rows)  # noqa: S608
            self.counts[name] += len(rows)

    def finish(self) -> None:
        """Nothing to restore: SQLite checks its deferred foreign keys at commit."""


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _letters(text: str) -> str:
    return "".join(char for char in text.lower() if char.isalpha())


@dataclass(frozen=True)
class Basket:
    lines: list[tuple[str, str, int, str, str, int]]  # name, sku, quantity, unit price, line total, position
    subtotal: str
    shipping: str
    total: str
    total_cents: int


@dataclass(frozen=True)
class Person:
    contact_id: int
    created: int
    first_name: str
    last_name: str
    email: str
    address: tuple[str, ...]
    phones: list[str]


class Dataset:
    """The rows of one dataset, generated in batches from one seeded random stream.

    Times are whole seconds counted back from today's midnight (UTC): the same seed builds the same rows
    on the same day, and the data always looks recent.
    """

    def __init__(self, *, contacts: int, seed: int, vendor: str) -> None:
        self.contacts = contacts
        self.rng = rng = random.Random(seed)
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        self.first_names = sorted(set(PersonProvider.first_names_male) | set(PersonProvider.first_names_female))
        self.last_names = list(PersonProvider.last_names)
        self.first_slugs = [_letters(name) for name in self.first_names]
        self.last_slugs = [_letters(name) for name in self.last_names]
        self.streets = [fake.street_address().replace("\n", ", ") for _ in range(2_000)]
        self.cities = [fake.city() for _ in range(500)]
        self.postcodes = [fake.postcode() for _ in range(2_000)]
        products = [
            (f"{material} {kind}", f"{material[:3].upper()}-{kind[:3].upper()}", price)
            for material in PRODUCT_MATERIALS
            for kind, price in PRODUCT_KINDS
        ]
        self.baskets = [self._basket(rng.sample(products, rng.randint(1, 3))) for _ in range(BASKETS)]
        self.today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.start = -HISTORY_DAYS * 86_400
        # Timestamps are formatted from two tables, days and times of day, because formatting each of tens
        # of millions of datetimes would take longer than the database needs to store them. Days are indexed
        # from the end: second -1 falls on day -1, the last entry.
        self.days = [(self.today + timedelta(days=day)).date().isoformat() for day in range(-HISTORY_DAYS, 0)]
        # PostgreSQL reads the offset; Django keeps SQLite datetimes as naive UTC text.
        zone = "+00" if vendor == "postgresql" else ""
        self.clock = [
            f" {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}{zone}" for second in range(86_400)
        ]
        self.ids = {name: count(1) for name in TABLES}
        pairs = min(PLANTED_PER_REASON * len(PLANTED_REASONS), contacts // 10)
        self.plant_spacing = contacts // pairs if pairs else 0
        self.planted_pairs = pairs
        self.previous: tuple[Person, tuple | None] | None = None

    def _basket(self, products: list[tuple[str, str, int]]) -> Basket:
        lines, subtotal = [], 0
        for position, (name, sku, price) in enumerate(products):
            quantity = self.rng.randint(1, 3)
            subtotal += price * quantity
            lines.append((name, sku, quantity, _money(price), _money(price * quantity), position))
        shipping = 0 if subtotal >= FREE_SHIPPING_FROM_CENTS else SHIPPING_CENTS
        total = subtotal + shipping
        return Basket(lines, _money(subtotal), _money(shipping), _money(total), total)

    def _time(self, seconds: int) -> str:
        """Format seconds before today's midnight as the database's timestamp text."""
        return self.days[seconds // 86_400] + self.clock[seconds % 86_400]

    def _iso(self, seconds: int) -> str:
        return (self.today + timedelta(seconds=seconds)).isoformat()

    def batches(self) -> Iterator[tuple[int, dict[str, list[tuple]]]]:
        """Yield (contacts done, rows per table), labels and companies first."""
        labels, label_weights = self._labels()
        companies = self._companies()
        yield 0, {"labels": labels, "companies": [row for row, _ in companies]}
        whales = set(self.rng.sample(range(self.contacts), round(self.contacts * WHALE_SHARE)))
        label_ids = [row[0] for row in labels]
        for first in range(0, self.contacts, BATCH):
            batch: dict[str, list[tuple]] = {name: [] for name in TABLES if name not in ("labels", "companies")}
            last = min(first + BATCH, self.contacts)
            for index in range(first, last):
                self._contact(batch, index, index in whales, companies, label_ids, label_weights)
            yield last, batch

    def _labels(self) -> tuple[list[tuple], list[float]]:
        stamp = self._time(self.start)
        colours = LabelColour.values
        names = [f"{interest} {segment}" for segment in SEGMENTS for interest in INTERESTS]
        rows = [
            (next(self.ids["labels"]), stamp, stamp, name, colours[number % len(colours)])
            for number, name in enumerate(names)
        ]
        # A few labels are on many contacts and most on few, as in real address books.
        weights = [1 / (rank + 1) for rank in range(len(rows))]
        return rows, [sum(weights[: rank + 1]) for rank in range(len(weights))]

    def _companies(self) -> list[tuple[tuple, str]]:
        """Return (row, domain) per company; names are unique ignoring case, as the database demands."""
        rng, lasts = self.rng, self.last_names
        taken: set[str] = set()
        companies = []
        wanted = round(self.contacts * COMPANY_SHARE)
        spacing = -self.start // wanted
        while len(companies) < wanted:
            first, second = rng.choice(lasts), rng.choice(lasts)
            name = rng.choice([f"{first} {{}}", f"{first} & {second}", f"{first} & {second} {{}}"])
            name = name.format(rng.choice(COMPANY_SUFFIXES))
            if name.lower() in taken:
                continue
            taken.add(name.lower())
            stamp = self._time(self.start + len(companies) * spacing)
            domain = "-".join(filter(None, map(_letters, name.split()))) + ".example"
            access = CompanyAccess.COMPANY if rng.random() < 0.3 else CompanyAccess.PERSONAL
            companies.append(((next(self.ids["companies"]), stamp, stamp, name, domain, access), domain))
        return companies

    def _contact(self, batch, index, whale, companies, label_ids, label_weights) -> None:
        rng = self.rng
        contact_id = next(self.ids["contacts"])
        # Ids grow with creation time, as they do when people are added one by one.
        spacing = -self.start // self.contacts
        created = self.start + index * spacing + rng.randrange(spacing)
        first_index, last_index = rng.randrange(len(self.first_names)), rng.randrange(len(self.last_names))
        customer = whale or rng.random() >= LEAD_SHARE
        source = Source.ORDER if customer and rng.random() < 0.7 else rng.choice(LEAD_SOURCES)
        company = None
        if rng.random() < MEMBER_SHARE:
            # Squaring skews membership: a few large companies and a long tail of small ones.
            company = companies[int(len(companies) * rng.random() ** 2)]
        person = Person(
            contact_id=contact_id,
            created=created,
            first_name=self.first_names[first_index],
            last_name=self.last_names[last_index],
            email=self._email(index, first_index, last_index, company),
            address=(
                (rng.choice(self.streets), "", rng.choice(self.cities), "", rng.choice(self.postcodes), "GB")
                if customer or rng.random() < 0.4
                else ("",) * len(ADDRESS)
            ),
            # Valid UK mobile ranges; the multipliers are coprime with 10**8, so no two contacts share one.
            phones=[f"+4475{(index * 7_919 + 1_234_567) % 10**8:08d}"]
            + ([f"+4478{(index * 6_421 + 7_654_321) % 10**8:08d}"] if rng.random() < 0.35 else []),
        )
        person, company = self._planted(index, person, company, companies)
        self.previous = (person, company)
        for position, (number, label) in enumerate(zip(person.phones, ("mobile", "work"), strict=False)):
            batch["phones"].append((next(self.ids["phones"]), contact_id, number, label, position))
        chosen = set(rng.choices(label_ids, cum_weights=label_weights, k=rng.choice((0, 1, 2, 2, 3, 3, 4))))
        for label_id in sorted(chosen):
            batch["contact_labels"].append((next(self.ids["contact_labels"]), contact_id, label_id))
        if company:
            stamp = self._time(created)
            access = rng.choices(MembershipAccess.values, weights=(70, 15, 15))[0]
            batch["memberships"].append(
                (next(self.ids["memberships"]), stamp, stamp, contact_id, company[0][0], access)
            )

        activities = batch["activities"]
        activities_before = len(activities)
        stage = Stage.CUSTOMER if source == Source.ORDER else Stage.LEAD
        self._event(
            batch,
            person,
            "created",
            f"Created as {stage.label} ({Source(source).label})",
            ActorKind.SHOP if source == Source.ORDER else ActorKind.SYSTEM,
            json.dumps({"stage": stage, "source": source}),
            created,
        )
        consent = self._consent(batch, person, ConsentSource.CHECKOUT if customer else ConsentSource.CONTACT_FORM)
        orders = WHALE_ORDERS if whale else rng.randint(*CUSTOMER_ORDERS) if customer else 0
        spent, placed_times = self._orders(batch, person, orders)
        if orders and source != Source.ORDER:
            self._event(batch, person, "became_customer", "First order placed", ActorKind.SHOP, "{}", placed_times[0])
        if whale:
            notes = WHALE_ACTIVITIES - (len(activities) - activities_before)
        else:
            notes = 1 if rng.random() < NOTE_SHARE else 0
        random_, ids, days, clock, span = rng.random, self.ids["activities"], self.days, self.clock, -created
        for _ in range(notes):
            at = created + int(random_() * span)
            note = NOTES[int(random_() * len(NOTES))]
            activities.append(
                (next(ids), contact_id, NOTE, "", note, STAFF, "{}", days[at // 86_400] + clock[at % 86_400])
            )

        stamp = self._time(created)
        last_order = self._time(placed_times[-1]) if placed_times else None
        batch["contacts"].append(
            (
                contact_id,
                stamp,
                last_order or stamp,
                Stage.CUSTOMER if customer else Stage.LEAD,
                person.first_name,
                person.last_name,
                person.email,
                "",
                "",
                rng.random() < 0.02,
                source,
                consent,
                orders,
                _money(spent),
                last_order,
                # Written with the row, as the contact services would, so search indexes and triggers see it.
                search_document(
                    first_name=person.first_name,
                    last_name=person.last_name,
                    email=person.email,
                    phones=person.phones,
                    company_names=[company[0][3]] if company else [],
                ),
                *person.address,
            )
        )

    def _planted(self, index: int, person: Person, company, companies) -> tuple[Person, tuple | None]:
        """Make this contact one of a planted pair, or leave it as generated.

        The first of a pair is changed only where its copy needs it (a Gmail address, a company); the copy,
        the next contact, then shares the rule's key with it.
        """
        spacing = self.plant_spacing
        if not spacing or index // spacing >= self.planted_pairs or index % spacing > 1:
            return person, company
        reason = PLANTED_REASONS[index // spacing % len(PLANTED_REASONS)]
        first, last = _letters(person.first_name), _letters(person.last_name)
        if index % spacing == 0:
            if reason == "name_company" and company is None:
                company = companies[index % len(companies)]
            if reason == "name_email":
                person = replace(person, email=f"{first}.{last}{index}@gmail.com")
            return person, company
        original, original_company = self.previous
        if reason == "phone":
            return replace(person, phones=[original.phones[0], *person.phones[1:]]), company
        if reason == "email_local":
            local, domain = original.email.split("@")
            other = FREE_DOMAINS[0] if domain != FREE_DOMAINS[0] else FREE_DOMAINS[1]
            return replace(person, email=f"{local}@{other}"), company
        twin = replace(person, first_name=original.first_name, last_name=original.last_name)
        if reason == "name_company":
            return twin, original_company
        # The original's address with its dots taken out and a tag added: the same Gmail mailbox.
        local = original.email.split("@")[0].replace(".", "")
        return replace(twin, email=f"{local}+shop@gmail.com"), company

    def _email(self, index: int, first_index: int, last_index: int, company) -> str:
        rng = self.rng
        first, last = self.first_slugs[first_index], self.last_slugs[last_index]
        domain = company[1] if company and rng.random() < 0.7 else rng.choice(FREE_DOMAINS)
        if rng.random() < 0.05:
            # Some people type their address with capitals; it is stored as typed.
            return f"{first.capitalize()}.{last.capitalize()}{index}@{domain}"
        # The contact's number ends the local part, so every email is unique whatever the names.
        local = rng.choice((f"{first}.{last}{index}", f"{first}{last}{index}", f"{first[0]}.{last}{index}"))
        return f"{local}@{domain}"

    def _event(self, batch, person: Person, event: str, body: str, actor: str, data: str, at: int) -> None:
        batch["activities"].append(
            (
                next(self.ids["activities"]),
                person.contact_id,
                ActivityKind.EVENT,
                event,
                body,
                actor,
                data,
                self._time(at),
            )
        )

    def _consent(self, batch, person: Person, source: str) -> str:
        """Write the contact's consent records and return its current state: the latest record's."""
        roll = self.rng.random()
        states = next(states for share, states in CONSENT_MIX if roll < share)
        given = person.created
        for state in states:
            given = self.rng.randint(given, -1)
            batch["consent"].append(
                (
                    next(self.ids["consent"]),
                    person.contact_id,
                    ConsentChannel.EMAIL,
                    state,
                    OptInLevel.SINGLE,
                    source,
                    self._time(given),
                    "Benchmark data: ticked the newsletter box",
                    self._time(given),
                )
            )
            self._event(
                batch,
                person,
                "consent_changed",
                f"Email marketing: {ConsentState(state).label}",
                ActorKind.WEBSITE,
                json.dumps({"state": state, "source": source, "given_at": self._iso(given)}),
                given,
            )
        return states[-1] if states else ConsentState.NOT_SUBSCRIBED

    def _orders(self, batch, person: Person, number: int) -> tuple[int, list[int]]:
        """Write the contact's placed orders; return the total spent in cents and the sorted order times."""
        rng, random_, baskets = self.rng, self.rng.random, self.baskets
        orders, lines, activities = batch["orders"], batch["order_lines"], batch["activities"]
        order_ids, line_ids, activity_ids = self.ids["orders"], self.ids["order_lines"], self.ids["activities"]
        span = -person.created
        placed_times = sorted(person.created + int(random_() * span) for _ in range(number))
        variant = rng.randrange(number) if number and random_() < CASE_VARIANT_SHARE else None
        spent = 0
        days, clock = self.days, self.clock
        contact_id, first_name, last_name, phone = (
            person.contact_id,
            person.first_name,
            person.last_name,
            person.phones[0],
        )
        for position, placed in enumerate(placed_times):
            order_id = next(order_ids)
            basket = baskets[int(random_() * len(baskets))]
            for line in basket.lines:
                lines.append((next(line_ids), order_id, *line))
            spent += basket.total_cents
            stamp = days[placed // 86_400] + clock[placed % 86_400]
            email = person.email
            if position == variant:
                # The buyer typed their email differently this time; the shop finds the contact by its
                # normalised form, so the order still belongs to the same contact.
                email = email.upper() if email.islower() else email.lower()
            shop_order_id = str(SHOP_ORDER_BASE + order_id)
            orders.append(
                (
                    order_id,
                    stamp,
                    stamp,
                    shop_order_id,
                    PLACED,
                    contact_id,
                    email,
                    first_name,
                    last_name,
                    phone,
                    "EUR",
                    basket.subtotal,
                    basket.shipping,
                    "0.00",
                    basket.total,
                    stamp,
                    *person.address,
                )
            )
            # Formatted by hand: json.dumps per order costs more than building the rest of the order.
            data = f'{{"order": {order_id}, "total": "{basket.total}", "currency": "EUR"}}'
            activities.append(
                (
                    next(activity_ids),
                    contact_id,
                    EVENT,
                    "order_placed",
                    f"Order #{shop_order_id} placed",
                    SHOP,
                    data,
                    stamp,
                )
            )
        return spent, placed_times


if __name__ == "__main__":
    call_command(Command(), *sys.argv[1:])
