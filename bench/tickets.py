# ruff: noqa: S608 -- the SQL here is built from integers this script computed, never from input.
"""Time the helpdesk at scale on the database in DATABASE_URL: fill it with tickets, then measure the lists.

    DATABASE_URL=postgres://… .venv/bin/python bench/tickets.py --tickets 2000000 --messages 5
    .venv/bin/python bench/tickets.py --tickets 20000                              # the embedded SQLite

Run after bench/data.py filled the contacts. `--tickets N` first adds tickets until there are N, spread over
the contacts (a ticket belongs to its requester's first company, if any), each with
`--messages` messages, written by the database itself (INSERT … SELECT over generate_series), so the fill
costs what the rows cost. Then, through Django's test client (the server's own time: routing, middleware,
queries, template), median and p95 of 30 requests after 3 warm-ups, and the queries of one more:

- the staff Tickets list: first page, the Open tab, three searches; beside the contacts list's first page, timed in
  the same run as the peer;
- the Customer Portal list for a customer with their own tickets only, and for one who sees a big company's;
- `mail_receive` (what `manage.py receive_email` runs): 300 new mails from new senders and 300 replies by
  header, in this one process, as messages per second.

Prints a markdown table and writes bench/results/tickets-<database>-<tickets>.json and .md.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contacts_crm.settings")

import django  # noqa: E402 -- Django must find the project and its settings first.

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench import list_page  # noqa: E402
from companies.models import CompanyAccess, Membership  # noqa: E402
from customers.models import Contact  # noqa: E402
from tests.tickets.support import mail  # noqa: E402
from tickets.models import Message, Ticket  # noqa: E402
from tickets.services.intake import mail_receive  # noqa: E402
from tickets.views.portal import SESSION_KEY  # noqa: E402

WARM_UP, TIMED, MAILS = 3, 30, 300


def _numbers(name: str, first: int, last: int, *, postgres: bool) -> str:
    """Return a FROM item of the integers first..last named `name`, in the database's own way."""
    if postgres:
        return f"generate_series({first}, {last}) AS {name}"
    recursive = f"SELECT {first} UNION ALL SELECT {name} + 1 FROM s WHERE {name} < {last}"
    return f"(WITH RECURSIVE s({name}) AS ({recursive}) SELECT {name} FROM s)"


def fill(*, tickets: int, messages: int) -> None:
    """Add tickets (and their messages) until there are `tickets`, in SQL run by the database itself."""
    have = Ticket.objects.count()
    missing = tickets - have
    if missing <= 0:
        return
    low, high = Contact.objects.order_by("pk").values_list("pk", flat=True)[:1][0], Contact.objects.latest("pk").pk
    span = high - low + 1
    started = time.perf_counter()
    postgres = connection.vendor == "postgresql"
    ago = (
        "now() - (n % 400) * interval '1 day' - (n % 1440) * interval '1 minute'"
        if postgres
        else "datetime('now', '-' || (n % 400) || ' days', '-' || (n % 1440) || ' minutes')"
    )
    series = _numbers("n", have + 1, tickets, postgres=postgres)
    counter = _numbers("k", 0, messages - 1, postgres=postgres)
    statuses = "CASE n % 4 WHEN 0 THEN 'open' WHEN 1 THEN 'pending' WHEN 2 THEN 'solved' ELSE 'closed' END"
    with connection.cursor() as cursor:
        # Requesters spread over the contacts; a ticket belongs to the requester's first company, if any.
        cursor.execute(
            f"""INSERT INTO tickets_ticket (subject, status, requester_id, company_id, channel, created_at, updated_at,
                                            last_message_at)
                SELECT 'Question ' || n || ' about order ' || (n % 9973), {statuses}, c.id,
                       (SELECT m.company_id FROM companies_membership m WHERE m.contact_id = c.id
                        ORDER BY m.id LIMIT 1),
                       'email', {ago}, {ago}, {ago}
                FROM {series}
                JOIN customers_contact c ON c.id = {low} + (CAST(n AS BIGINT) * 7919) % {span}"""
        )
        cursor.execute(
            f"""INSERT INTO tickets_message (ticket_id, author_contact_id, author_user_id, author_name, body, internal,
                                             event, message_id, created_at)
                SELECT t.id, CASE WHEN k % 2 = 0 THEN t.requester_id END, NULL, 'Bench',
                       'Hello, this is message ' || k || ' on the ticket. ' || repeat('Words of a message. ', 8),
                       (k % 5 = 4), '', '', t.last_message_at
                FROM tickets_ticket t CROSS JOIN {counter}
                WHERE t.id > (SELECT coalesce(max(ticket_id), 0) FROM tickets_message)"""
        )
        if postgres:
            cursor.execute("ANALYZE tickets_ticket; ANALYZE tickets_message")
    print(f"Filled {missing} tickets in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def portal_client(contact: Contact) -> Client:
    client = Client()
    session = client.session
    session[SESSION_KEY] = {"id": contact.pk, "email": contact.email_normalized}
    session.save()
    return client


def intake_rate() -> dict:
    started = time.perf_counter()
    opened = [
        mail_receive(raw=mail(sender=f"bench-{time.time_ns()}-{n}@intake.example").as_bytes()) for n in range(MAILS)
    ]
    new_seconds = time.perf_counter() - started
    replies = [
        mail(sender=received.message.author_contact.email, headers={"In-Reply-To": received.message.message_id})
        for received in opened
    ]
    started = time.perf_counter()
    answered = [mail_receive(raw=message.as_bytes()) for message in replies]
    reply_seconds = time.perf_counter() - started
    if {r.outcome for r in opened} != {"opened"} or {r.outcome for r in answered} != {"replied"}:
        raise SystemExit("mail_receive did not open and thread every bench mail")
    return {"new_per_s": MAILS / new_seconds, "replies_per_s": MAILS / reply_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=0, help="Fill up to this many tickets first.")
    parser.add_argument("--messages", type=int, default=5, help="Messages per ticket the fill writes.")
    args = parser.parse_args()
    fill(tickets=args.tickets, messages=args.messages)
    setup_test_environment(debug=False)
    staff = Client()
    staff.force_login(list_page.superuser())
    wide = (
        Membership.objects.filter(company__default_portal_access=CompanyAccess.COMPANY, portal_access="inherit")
        .order_by("-company__tickets__id")
        .select_related("contact")
        .first()
    )
    own = Ticket.objects.filter(company__isnull=True).select_related("requester").order_by("-id").first().requester
    pages = [
        ("Contacts list, first page (peer)", staff, reverse("customers:list")),
        ("Tickets list, first page", staff, reverse("tickets:list")),
        ("Tickets list, Open tab", staff, reverse("tickets:list") + "?status=open"),
        # A word no ticket has (the indexes answer), a common surname, and two words every tenth subject has.
        ('Tickets list, search "hinge" (no match)', staff, reverse("tickets:list") + "?q=hinge"),
        ('Tickets list, search "Lee" (a surname)', staff, reverse("tickets:list") + "?q=Lee"),
        ('Tickets list, search "order 42" (common words)', staff, reverse("tickets:list") + "?q=order+42"),
        ("Portal list, own tickets", portal_client(own), reverse("portal:list")),
        ("Portal list, a company's tickets", portal_client(wide.contact), reverse("portal:list")),
    ]
    rows = []
    for name, client, url in pages:
        figures = list_page.timed_get(client, url, warm_up=WARM_UP, timed=TIMED)
        if figures["status"] != 200:
            raise SystemExit(f"{url} answered {figures['status']}")
        rows.append({"name": name, **{k: figures[k] for k in ("url", "median_ms", "p95_ms", "queries")}})
        print(f"  {name}: {figures['median_ms']:.1f} ms", file=sys.stderr, flush=True)
    report = {
        "database": connection.vendor,
        "contacts": Contact.objects.live().count(),
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpus": os.cpu_count(),
        "pages": rows,
        "intake": intake_rate(),
    }
    lines = [
        f"# Helpdesk on {report['database']}: {report['contacts']:,} contacts, {report['tickets']:,} tickets, "
        f"{report['messages']:,} messages",
        "",
        "| Page | Median ms | p95 ms | Queries |",
        "| --- | ---: | ---: | ---: |",
        *(f"| {r['name']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | {r['queries']} |" for r in rows),
        "",
        f"mail_receive in one process: {report['intake']['new_per_s']:.0f} new mails/s, "
        f"{report['intake']['replies_per_s']:.0f} replies/s (goal ≥ 50).",
    ]
    out = ROOT / "bench" / "results" / f"tickets-{connection.vendor}-{report['tickets']}"
    out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
