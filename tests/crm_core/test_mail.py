"""crm_core.mail: a mail server's refusal in plain words, and whether trying again later can help."""

import smtplib
import socket
import ssl

import pytest
from django.core.mail import BadHeaderError

from crm_core.mail import failure_reason, is_temporary


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials"), "the mail server did not accept our login"),
        (
            smtplib.SMTPSenderRefused(553, b"Not ours", "shop@example.com"),
            "the mail server refused the sender's address",
        ),
        (
            smtplib.SMTPDataError(554, b"5.7.1 Message\r\n rejected as spam"),
            "the mail server refused the message (it answered 554)",
        ),
        (
            smtplib.SMTPDataError(421, b"4.3.2 Try later"),
            "the mail server is not taking messages just now (it answered 421)",
        ),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "the mail server closed the connection"),
        (
            smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."),
            "the mail server could not take the message",
        ),
        (ConnectionRefusedError(111, "Connection refused"), "the mail server refused the connection"),
        (TimeoutError("timed out"), "the mail server did not answer in time"),
        (socket.gaierror(-2, "Name or service not known"), "the mail server's address could not be found"),
        (
            ssl.SSLCertVerificationError("certificate verify failed: /etc/ssl/certs/ca.pem"),
            "a secure connection to the mail server could not be made",
        ),
        (
            FileNotFoundError(2, "No such file or directory", "/srv/crm/.venv/lib/python3.11/site-packages/x.py"),
            "the mail server could not be reached",
        ),
        (
            BadHeaderError("Header values can't contain newlines"),
            "the message could not be handed to the mail server",
        ),
        (
            RuntimeError('File "/srv/crm/customers/messaging.py", line 9'),
            "the message could not be handed to the mail server",
        ),
    ],
)
def test_every_kind_of_mail_failure_has_a_plain_reason_without_technical_detail(error, reason):
    assert failure_reason(error) == reason


@pytest.mark.parametrize(
    ("error", "temporary"),
    [
        (smtplib.SMTPDataError(421, b"4.3.2 Try later"), True),
        (smtplib.SMTPDataError(554, b"5.7.1 Rejected"), False),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"4.2.1 Mailbox busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"5.1.1 Unknown")}), False),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials"), False),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (ssl.SSLCertVerificationError("certificate verify failed"), False),
        (BadHeaderError("Header values can't contain newlines"), False),
    ],
)
def test_only_a_refusal_for_now_or_an_unreachable_server_is_worth_another_try(error, temporary):
    assert is_temporary(error) is temporary
