"""`manage.py receive_email` with real messages built by Python's email package, as a mail system pipes them."""

import io
import subprocess
import sys
from email.message import EmailMessage
from email.mime.text import MIMEText
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError

from companies.models import CompanyAccess
from customers.models import Contact, Source, Stage
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory, UserFactory
from tickets.models import Message, Ticket, TicketStatus, UnprocessedMail, UnprocessedReason, attachment_storage
from tickets.services import intake

from .support import mail, ticket_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def pipe(message: EmailMessage | bytes, monkeypatch, capsys) -> str:
    raw = message if isinstance(message, bytes) else message.as_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    call_command("receive_email")
    return capsys.readouterr().out


def test_a_new_mail_from_an_unknown_address_adds_a_lead_and_opens_a_ticket(monkeypatch, capsys):
    out = pipe(mail(sender="Ann Lee <Ann@Example.com>"), monkeypatch, capsys)
    contact = Contact.objects.get()
    ticket = Ticket.objects.get()
    assert out.strip() == f"Ticket #{ticket.pk}: opened"
    assert (contact.email, contact.first_name, contact.last_name) == ("Ann@Example.com", "Ann", "Lee")
    assert (contact.source, contact.stage) == (Source.TICKET, Stage.LEAD)
    assert (ticket.requester, ticket.subject, ticket.status, ticket.channel) == (
        contact,
        "My order has not arrived",
        TicketStatus.OPEN,
        "email",
    )
    message = ticket.messages.get()
    assert (message.author_contact, message.body) == (contact, "Hello, where is my parcel?")
    assert contact.activities.filter(event="ticket_opened").count() == 1


def test_a_known_customer_keeps_their_name_and_stage(monkeypatch, capsys):
    known = ContactFactory(email="ann@example.com", first_name="Annabel", stage=Stage.CUSTOMER)
    pipe(mail(sender="Someone Else <ANN@example.com>"), monkeypatch, capsys)
    known.refresh_from_db()
    assert (Contact.objects.count(), known.first_name, known.stage) == (1, "Annabel", Stage.CUSTOMER)
    assert Ticket.objects.get().requester == known


def test_a_reply_joins_its_ticket_by_in_reply_to_and_reopens_it(monkeypatch, capsys):
    first = mail(message_id="<first@mail.example>")
    pipe(first, monkeypatch, capsys)
    ticket = Ticket.objects.get()
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.PENDING)
    reply = mail(subject="Re: something else", body="Thanks", headers={"In-Reply-To": "<first@mail.example>"})
    assert pipe(reply, monkeypatch, capsys).strip() == f"Ticket #{ticket.pk}: replied"
    ticket.refresh_from_db()
    assert (Ticket.objects.count(), ticket.messages.filter(event="").count(), ticket.status) == (1, 2, "open")


def test_a_reply_joins_by_the_references_of_a_staff_reply(monkeypatch, capsys):
    ann = ContactFactory(email="ann@example.com")
    ticket = ticket_for(ann)
    Message.objects.create(ticket=ticket, body="Our answer", message_id="<reply-1@crm.example>", author_name="Bo")
    pipe(mail(headers={"References": "<unknown@x> <reply-1@crm.example>"}), monkeypatch, capsys)
    assert (Ticket.objects.count(), ticket.messages.count()) == (1, 3)


def test_a_reply_joins_by_the_ticket_reference_in_the_subject(monkeypatch, capsys):
    ann = ContactFactory(email="ann@example.com")
    ticket = ticket_for(ann)
    pipe(mail(subject=f"Re: [#{ticket.pk}] Help"), monkeypatch, capsys)
    assert (Ticket.objects.count(), ticket.messages.count()) == (1, 2)


def test_a_reply_to_a_ticket_the_sender_may_not_see_opens_a_new_one_for_them(monkeypatch, capsys):
    owner = ContactFactory(email="owner@example.com")
    theirs = ticket_for(owner, subject="Private matter")
    theirs.messages.update(message_id="<private@mail.example>")
    pipe(
        mail(
            sender="eve@evil.example", subject=f"Re: [#{theirs.pk}]", headers={"In-Reply-To": "<private@mail.example>"}
        ),
        monkeypatch,
        capsys,
    )
    assert theirs.messages.count() == 1
    new = Ticket.objects.exclude(pk=theirs.pk).get()
    assert new.requester.email == "eve@evil.example"


def test_a_colleague_with_company_access_answers_on_the_company_ticket(monkeypatch, capsys):
    company = CompanyFactory(default_portal_access=CompanyAccess.COMPANY)
    owner = MembershipFactory(company=company).contact
    colleague = MembershipFactory(company=company, contact=ContactFactory(email="col@example.com")).contact
    ticket = ticket_for(owner, company=company)
    pipe(mail(sender="col@example.com", subject=f"Re: [#{ticket.pk}] Help"), monkeypatch, capsys)
    assert ticket.messages.order_by("id").last().author_contact == colleague


def test_a_reply_to_a_closed_ticket_opens_a_new_one(monkeypatch, capsys):
    ann = ContactFactory(email="ann@example.com")
    ticket = ticket_for(ann)
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)
    pipe(mail(subject=f"Re: [#{ticket.pk}] Help"), monkeypatch, capsys)
    assert Ticket.objects.count() == 2


def test_the_same_mail_delivered_twice_is_stored_once(monkeypatch, capsys):
    message = mail(message_id="<once@mail.example>")
    pipe(message, monkeypatch, capsys)
    assert "Already stored" in pipe(message, monkeypatch, capsys)
    assert (Ticket.objects.count(), Message.objects.count()) == (1, 1)


def test_a_foreign_message_id_of_someone_elses_mail_is_not_a_reason_to_drop_it(monkeypatch, capsys):
    pipe(mail(message_id="<taken@mail.example>"), monkeypatch, capsys)
    pipe(mail(sender="other@example.com", message_id="<taken@mail.example>"), monkeypatch, capsys)
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize(
    ("headers", "sender", "why"),
    [
        ({"Auto-Submitted": "auto-replied"}, "ann@example.com", "Auto-Submitted: auto-replied"),
        ({"X-Autoreply": "yes"}, "ann@example.com", "X-Autoreply header"),
        ({"Precedence": "bulk"}, "ann@example.com", "Precedence: bulk"),
        ({"Return-Path": "<>"}, "ann@example.com", "an empty return path (a bounce)"),
        ({}, "MAILER-DAEMON@mx.example", "sent by MAILER-DAEMON@mx.example"),
    ],
)
def test_auto_replies_and_bounces_never_open_tickets_or_get_answers(monkeypatch, capsys, headers, sender, why):
    pipe(mail(sender=sender, headers=headers), monkeypatch, capsys)
    assert (Ticket.objects.count(), Contact.objects.count()) == (0, 0)
    kept = UnprocessedMail.objects.get()
    assert (kept.reason, kept.detail) == (UnprocessedReason.AUTOMATIC, why)
    assert attachment_storage().open(kept.stored_name).read().startswith(b"From:") or kept.size > 0


def test_a_delivery_report_is_kept_not_answered(monkeypatch, capsys):
    report = EmailMessage()
    report["From"] = "postmaster@mx.example"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.set_content("Your message could not be delivered.")
    report.make_mixed()
    report.replace_header("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"')
    pipe(report.as_bytes(), monkeypatch, capsys)
    assert Ticket.objects.count() == 0
    assert UnprocessedMail.objects.get().reason == UnprocessedReason.AUTOMATIC


def test_html_only_mail_becomes_safe_plain_text(monkeypatch, capsys):
    message = mail()
    message.set_content(
        "<html><body><p>Hello <b>there</b>,</p><script>alert('x')</script><div>Order&nbsp;#1001 &lt;late&gt;</div>"
        "<img src=x onerror=alert(1)><style>p{color:red}</style></body></html>",
        subtype="html",
    )
    pipe(message, monkeypatch, capsys)
    assert Message.objects.get().body == "Hello there,\nOrder #1001 <late>"


def test_encoded_word_subjects_and_other_charsets_decode(monkeypatch, capsys):
    message = MIMEText("Grüße aus Köln, ça va?", "plain", "iso-8859-1")
    message["From"] = "=?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>"
    message["Subject"] = "=?iso-8859-1?q?Bestellung_=FCberf=E4llig?="
    message["Message-ID"] = "<latin@mail.example>"
    pipe(message.as_bytes(), monkeypatch, capsys)
    ticket = Ticket.objects.get()
    assert ticket.subject == "Bestellung überfällig"
    assert ticket.messages.get().body == "Grüße aus Köln, ça va?"
    assert ticket.requester.first_name == "Jürgen"


def test_an_unknown_charset_keeps_every_byte(monkeypatch, capsys):
    raw = (
        b"From: ann@example.com\r\nSubject: odd\r\nMessage-ID: <odd@x>\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\ncaf\xe9\r\n"
    )
    pipe(raw, monkeypatch, capsys)
    assert Message.objects.get().body == "café"


def test_attachments_are_stored_under_generated_names_and_offered_by_a_safe_name(monkeypatch, capsys):
    message = mail()
    message.add_attachment(b"root:x:0:0", maintype="text", subtype="plain", filename="../../etc/passwd")
    message.add_attachment(b"<script>alert(1)</script>", maintype="text", subtype="html", filename="x.html")
    pipe(message, monkeypatch, capsys)
    files = list(Message.objects.get().attachments.order_by("id"))
    assert [f.name for f in files] == ["passwd", "x.html"]
    assert all("etc" not in f.stored_name and f.stored_name.startswith("attachments/") for f in files)
    assert attachment_storage().open(files[0].stored_name).read() == b"root:x:0:0"


def test_a_nul_in_a_header_or_body_is_removed_not_stored(monkeypatch, capsys):
    raw = b"From: ann@example.com\r\nSubject: bad\x00subject\r\nMessage-ID: <nul@x>\r\n\r\nbo\x00dy\r\n"
    pipe(raw, monkeypatch, capsys)
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.messages.get().body) == ("badsubject", "body")


def test_oversize_mail_is_kept_whole_with_the_reason(monkeypatch, capsys, settings):
    settings.TICKET_MAIL_MAX_BYTES = 25 * 1024 * 1024
    message = mail(subject="Huge")
    message.add_attachment(b"x" * (30 * 1024 * 1024), maintype="application", subtype="octet-stream", filename="big")
    raw = message.as_bytes()
    out = pipe(raw, monkeypatch, capsys)
    kept = UnprocessedMail.objects.get()
    assert (kept.reason, kept.subject, kept.sender, kept.size) == (
        UnprocessedReason.TOO_LARGE,
        "Huge",
        "Ann Lee <ann@example.com>",
        len(raw),
    )
    assert "over the limit of 25 MB" in out
    assert attachment_storage().size(kept.stored_name) == len(raw)
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", UnprocessedReason.UNREADABLE),
        (b"\x00\xff\xfe garbage without headers", UnprocessedReason.UNREADABLE),
        (b"Subject: no sender\r\n\r\nbody", UnprocessedReason.NO_SENDER),
        (b"From: not an address\r\nSubject: x\r\n\r\nbody", UnprocessedReason.NO_SENDER),
        (b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all", None),
    ],
)
def test_garbage_and_malformed_mime_are_kept_or_read_never_lost(monkeypatch, capsys, raw, reason):
    pipe(raw, monkeypatch, capsys)
    if reason is None:
        # Malformed MIME that still names a sender is read as far as it goes.
        assert Ticket.objects.count() + UnprocessedMail.objects.count() == 1
    else:
        assert UnprocessedMail.objects.get().reason == reason


def test_a_forged_staff_sender_is_kept_not_taken_as_a_staff_reply(monkeypatch, capsys, settings):
    UserFactory(email="Boss@Shop.example")
    ann = ContactFactory(email="ann@example.com")
    ticket = ticket_for(ann)
    pipe(mail(sender="boss@shop.example", subject=f"Re: [#{ticket.pk}]"), monkeypatch, capsys)
    settings.HELPDESK_EMAIL = "Help <help@shop.example>"
    pipe(mail(sender="help@shop.example"), monkeypatch, capsys)
    assert ticket.messages.count() == 1
    assert list(UnprocessedMail.objects.values_list("reason", flat=True)) == [UnprocessedReason.STAFF_SENDER] * 2


def test_a_database_failure_exits_75_so_the_mail_system_retries(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise OperationalError("the database is gone")

    monkeypatch.setattr(intake, "_store", broken)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(mail().as_bytes())))
    with pytest.raises(SystemExit) as exit_:
        call_command("receive_email")
    assert exit_.value.code == 75


def test_the_command_reads_a_piped_message_and_exits_0_or_75(tmp_path):
    """The real entry point: a separate process, the mail on its standard input, as Postfix's pipe(8) runs it."""
    database = tmp_path / "mail.sqlite3"
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{database}", "ATTACHMENT_ROOT": str(tmp_path)}
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    done = subprocess.run(
        [python, "manage.py", "receive_email"], cwd=ROOT, env=env, input=mail().as_bytes(), capture_output=True
    )
    assert (done.returncode, done.stdout.decode().strip()) == (0, "Ticket #1: opened")
    unreachable = {**env, "DATABASE_URL": f"sqlite:///{tmp_path}/no/such/folder/db.sqlite3"}
    failed = subprocess.run(
        [python, "manage.py", "receive_email"], cwd=ROOT, env=unreachable, input=mail().as_bytes(), capture_output=True
    )
    assert failed.returncode == 75, failed.stderr.decode()
    assert "try again later" in failed.stderr.decode()
