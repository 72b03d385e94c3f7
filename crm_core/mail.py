"""What a mail server's refusal means: the plain reason staff read, and whether trying again later can help."""

import smtplib
import socket
import ssl


def failure_reason(error: Exception) -> str:
    """Return, in plain words staff can act on, why the mail server did not take a message.

    Never the exception's own text: that can carry file paths, host names and library internals, which
    belong in the server's log (where the sender logs them), not in a contact's history.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "the mail server refused the recipient's address"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return "the mail server refused the sender's address"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "the mail server did not accept our login"
    if isinstance(error, smtplib.SMTPResponseException):
        if 400 <= error.smtp_code < 500:
            return f"the mail server is not taking messages just now (it answered {error.smtp_code})"
        return f"the mail server refused the message (it answered {error.smtp_code})"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "the mail server closed the connection"
    if isinstance(error, smtplib.SMTPException):
        return "the mail server could not take the message"
    if isinstance(error, ConnectionRefusedError):
        return "the mail server refused the connection"
    if isinstance(error, TimeoutError):
        return "the mail server did not answer in time"
    if isinstance(error, socket.gaierror):
        return "the mail server's address could not be found"
    if isinstance(error, ssl.SSLError):
        return "a secure connection to the mail server could not be made"
    if isinstance(error, OSError):
        return "the mail server could not be reached"
    return "the message could not be handed to the mail server"


def is_temporary(error: Exception) -> bool:
    """Return whether the same message may go through later: a 4xx answer, or the server out of reach.

    A refusal of an address or of the message itself (5xx), or of our login, will be the same next time.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, smtplib.SMTPServerDisconnected | OSError) and not isinstance(error, ssl.SSLError)
