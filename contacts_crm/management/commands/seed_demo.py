"""Fill an empty database with realistic demo data: contacts, companies, labels, orders, notes, consent."""

import random
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import make_msgid

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from faker import Faker

from companies.models import Company, CompanyAccess, MembershipAccess
from companies.services import company_create, membership_add
from crm_core.actors import SHOP, SYSTEM, WEBSITE
from crm_core.phones import InvalidPhoneNumber, phone_to_e164
from customers.models import ConsentSource, ConsentState, Contact, Label, LabelColour, OptInLevel, Source
from customers.selectors import contact_live_by_email
from customers.services import PhoneInput, consent_record, contact_create, contact_labels_add, label_create, note_add
from orders.services import LineInput, PlacedOrderInput, order_sync_placed
from tickets.services.intake import mail_receive

SEED = 2026
PEOPLE = 200
CUSTOMER_SHARE = 0.6
COMPANIES = 20
LABELS = [
    ("VIP", LabelColour.PURPLE),
    ("Wholesale", LabelColour.BLUE),
    ("Newsletter", LabelColour.GREEN),
    ("Follow up", LabelColour.ORANGE),
    ("Returning", LabelColour.TEAL),
    ("Press", LabelColour.PINK),
]
PRODUCTS = [
    ("Ceramic mug", "MUG-01", Decimal("14.00")),
    ("Linen tea towel", "TT-02", Decimal("9.50")),
    ("Walnut serving board", "BRD-03", Decimal("48.00")),
    ("Beeswax candle", "CND-04", Decimal("12.00")),
    ("Stoneware bowl", "BWL-05", Decimal("22.00")),
    ("Gift card", "GFT-50", Decimal("50.00")),
]
NOTES = [
    "Called about a wholesale price list; sent it by email.",
    "Prefers to be contacted in the afternoon.",
    "Asked whether the mugs are dishwasher safe (they are).",
    "Met at the spring craft fair.",
    "Wants to hear when the walnut boards are back in stock.",
]


# The first members of companies write to the helpdesk, so the Tickets page and the portal have something to show.
TICKET_MAIL = [
    ("Parcel has not arrived", "Hello,\nmy order from last week has not arrived yet. Can you check where it is?"),
    ("Invoice for our last order", "Hi,\ncould you send the invoice for our last order again? Our accounts need it."),
    ("Broken hinge on the cabinet", "The hinge on the cabinet we bought snapped after a week. What can we do?"),
    ("Change of delivery address", "Please send future orders to our new office. I will reply with the address."),
    ("Bulk discount?", "We are planning to order 40 chairs. Is there a discount for a bulk order?"),
]


class Command(BaseCommand):
    help = "Add about 200 demo contacts with companies, labels, orders, notes and consent. Safe to run twice."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already holds any contact."
        )

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and Contact.objects.exists():
            self.stdout.write("The database already holds contacts; no demo data added.")
            return
        fake = Faker("en_GB")
        fake.seed_instance(SEED)
        rng = random.Random(SEED)
        with transaction.atomic():
            created = self._seed(fake, rng)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Added {created} demo contacts."))
        else:
            self.stdout.write("Demo data is already there; nothing added.")

    def _seed(self, fake: Faker, rng: random.Random) -> int:
        labels = [self._label(name, colour) for name, colour in LABELS]
        companies = [self._company(fake.unique.company(), rng) for _ in range(COMPANIES)]
        now = timezone.now().replace(microsecond=0)
        created = 0
        writers: list[Contact] = []
        # Demo orders start at #5001, leaving #1001 free for the README's webhook example.
        order_number = 5000
        for index in range(PEOPLE):
            person = self._person(fake, index)
            is_customer = rng.random() < CUSTOMER_SHARE
            orders = rng.randint(1, 4) if is_customer else 0
            picks = {
                "labels": rng.sample(labels, rng.choice([0, 0, 1, 1, 2])),
                "company": rng.choice(companies) if rng.random() < 0.35 else None,
                "access": rng.choice(list(MembershipAccess)),
                "note": rng.choice(NOTES) if rng.random() < 0.4 else None,
                "consent": rng.choice([None, ConsentState.SUBSCRIBED, ConsentState.UNSUBSCRIBED]),
                "order_days": [rng.randint(1, 365) for _ in range(orders)],
                "order_lines": [rng.sample(PRODUCTS, rng.randint(1, 3)) for _ in range(orders)],
            }
            order_numbers = list(range(order_number + 1, order_number + 1 + orders))
            order_number += orders
            if contact_live_by_email(email=person["email"]) is not None:
                continue
            contact = self._contact(person, picks, order_numbers, now, rng)
            created += 1
            if picks["labels"]:
                contact_labels_add(contact=contact, labels=picks["labels"], actor=SYSTEM)
            if picks["company"] is not None:
                membership_add(contact=contact, company=picks["company"], portal_access=picks["access"], actor=SYSTEM)
                if len(writers) < len(TICKET_MAIL):
                    writers.append(contact)
            if picks["note"]:
                note_add(contact=contact, body=picks["note"], actor=SYSTEM)
            if picks["consent"]:
                consent_record(
                    contact=contact,
                    state=picks["consent"],
                    source=ConsentSource.CHECKOUT if orders else ConsentSource.CONTACT_FORM,
                    opt_in_level=OptInLevel.SINGLE,
                    given_at=now - timedelta(days=rng.randint(1, 400)),
                    collected_how="Demo data: ticked the newsletter box",
                    actor=SYSTEM,
                )
        for contact, (subject, body) in zip(writers, TICKET_MAIL, strict=False):
            self._ticket_mail(contact, subject, body)
        return created

    @staticmethod
    def _ticket_mail(contact: Contact, subject: str, body: str) -> None:
        """Open a demo ticket the way a real one opens: a mail through the helpdesk's intake."""
        message = EmailMessage()
        message["From"] = f"{contact.full_name} <{contact.email}>"
        message["To"] = "help@demo.example"
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="demo.example")
        message.set_content(body)
        mail_receive(raw=message.as_bytes())

    @staticmethod
    def _person(fake: Faker, index: int) -> dict:
        first, last = fake.first_name(), fake.last_name()
        try:
            phone = phone_to_e164(fake.phone_number(), region="GB")
        except InvalidPhoneNumber:
            phone = ""
        return {
            "first_name": first,
            "last_name": last,
            # Numbered, so the 200 people are distinct however Faker's names collide.
            "email": f"{first}.{last}.{index}@example.com".lower().replace(" ", "").replace("'", ""),
            "phone": phone,
            "address": {
                "address_line1": fake.street_address().replace("\n", ", "),
                "city": fake.city(),
                "postal_code": fake.postcode(),
                "country": "GB",
            },
        }

    @staticmethod
    def _contact(person: dict, picks: dict, order_numbers: list[int], now, rng: random.Random):
        if not order_numbers:
            source = rng.choice([Source.MANUAL, Source.CONTACT_FORM])
            return contact_create(
                email=person["email"],
                first_name=person["first_name"],
                last_name=person["last_name"],
                phones=[PhoneInput(number=person["phone"], label="mobile")] if person["phone"] else [],
                source=source,
                actor=WEBSITE if source == Source.CONTACT_FORM else SYSTEM,
                **person["address"],
            )
        for number, days, lines in sorted(
            zip(order_numbers, picks["order_days"], picks["order_lines"], strict=True), key=lambda item: -item[1]
        ):
            result = order_sync_placed(
                data=PlacedOrderInput(
                    shop_order_id=str(number),
                    email=person["email"],
                    first_name=person["first_name"],
                    last_name=person["last_name"],
                    phone=person["phone"],
                    address=person["address"],
                    currency="EUR",
                    placed_at=now - timedelta(days=days),
                    shipping=Decimal("4.95"),
                    tax=Decimal("0"),
                    lines=tuple(
                        LineInput(name=name, sku=sku, unit_price=price, quantity=rng.randint(1, 3))
                        for name, sku, price in lines
                    ),
                ),
                actor=SHOP,
            )
        return result.contact

    @staticmethod
    def _label(name: str, colour: str) -> Label:
        return Label.objects.filter(name__iexact=name).first() or label_create(name=name, colour=colour)

    @staticmethod
    def _company(name: str, rng: random.Random) -> Company:
        access = rng.choice(list(CompanyAccess))
        existing = Company.objects.filter(name__iexact=name).first()
        return existing or company_create(name=name, default_portal_access=access, actor=SYSTEM)
