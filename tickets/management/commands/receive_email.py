"""`manage.py receive_email`: one RFC 5322 mail on standard input, as Postfix or Exim pipe it to a program."""

import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from tickets.services.intake import mail_receive

# sysexits.h: the mail system keeps the message and tries again later.
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = (
        "Store one mail read on standard input as a ticket message (or as Unprocessed mail). Exits 0 when the "
        "mail was stored or deliberately set aside, 75 (EX_TEMPFAIL) when the mail system should try again."
    )

    def handle(self, *args: object, **options: object) -> None:
        raw = sys.stdin.buffer.read()
        try:
            received = mail_receive(raw=raw)
        except (DatabaseError, OSError) as error:
            # The database or the attachment storage is out of reach: nothing was stored, so the mail
            # system must keep the message and deliver it again.
            self.stderr.write(f"Not stored, try again later: {type(error).__name__}: {error}")
            sys.exit(EX_TEMPFAIL)
        if received.kept is not None:
            self.stdout.write(
                f"Kept as unprocessed mail ({received.kept.get_reason_display()}): {received.kept.detail}"
            )
        elif received.outcome == "duplicate":
            self.stdout.write("Already stored: the same Message-ID arrived before.")
        else:
            self.stdout.write(f"Ticket #{received.ticket.pk}: {received.outcome}")
