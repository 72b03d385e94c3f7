"""Reading one received RFC 5322 mail: its headers decoded, its text (HTML made plain), its files, and whether
a machine sent it (auto-replies and bounces, which must never open tickets or be answered)."""

import email
import email.policy
import html
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import PurePosixPath

import nh3
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.text import get_valid_filename

SUBJECT_LIMIT = 300
NAME_LIMIT = 200
FILE_NAME_LIMIT = 150
# Tags whose end starts a new line in the text made from an HTML-only mail.
BLOCK_TAGS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol"}
BLOCK_END = re.compile(r"<\s*(?:br\s*/?|/(?:" + "|".join(sorted(BLOCK_TAGS)) + r"))\s*>", re.IGNORECASE)
MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster", "noreply-dmarc-support")


class UnreadableMail(ValueError):
    """The bytes are not a mail this app can read; the reason says why, for the Unprocessed mail page."""


@dataclass(frozen=True)
class FilePart:
    name: str
    content_type: str
    content: bytes


@dataclass
class ReceivedMail:
    message_id: str
    # The Message-IDs it answers: In-Reply-To first, then References from the newest back.
    answers: list[str]
    subject: str
    from_name: str
    from_address: str
    text: str
    files: list[FilePart] = field(default_factory=list)
    # Why a machine sent it ("Auto-Submitted: auto-replied"), or "" for a person's mail.
    automatic: str = ""


def clean_text(value: str, limit: int | None = None) -> str:
    """Return text without NUL and other control characters a database or a page cannot hold (line breaks kept)."""
    value = "".join(ch for ch in value if ch in "\n\t" or (ch >= " " and ch != "\x7f"))
    return value[:limit] if limit is not None else value


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError, LookupError):
        # A header the parser cannot decode at all is read as if absent; the rest of the mail still counts.
        return ""
    return clean_text(str(value or "").replace("\n", " ").replace("\r", " ")).strip()


def html_text(markup: str) -> str:
    """Return the words of an HTML mail as plain text: tags and scripts gone, blocks on their own lines.

    nh3 (the maintained Rust sanitizer) removes everything but block tags, with script and style contents;
    the block ends become line breaks and what is left is unescaped into text, which pages show escaped.
    """
    kept = nh3.clean(markup, tags=BLOCK_TAGS, attributes={}, strip_comments=True)
    with_breaks = BLOCK_END.sub("\n", kept)
    text = html.unescape(nh3.clean(with_breaks, tags=set(), strip_comments=True))
    return _tidy(text)


def _tidy(text: str) -> str:
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError):
        # An unknown or lying charset: the bytes read as Latin-1 lose nothing, each byte stays a character.
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("latin-1")
    return content if isinstance(content, str) else content.decode("latin-1")


def _body(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = _content(body)
    if body.get_content_subtype() == "html":
        return clean_text(html_text(text))
    return clean_text(_tidy(text))


def safe_file_name(name: str) -> str:
    """Return a file name to show and offer for download: no folders, no control characters, never empty."""
    base = PurePosixPath(clean_text(name).replace("\\", "/")).name
    try:
        safe = get_valid_filename(base)
    except Exception:  # get_valid_filename raises SuspiciousFileOperation for "", "." and "..".
        safe = ""
    if len(safe) > FILE_NAME_LIMIT:
        stem, dot, ext = safe.rpartition(".")
        safe = (stem[: FILE_NAME_LIMIT - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else safe[:FILE_NAME_LIMIT]
    return safe or "attachment"


def _files(message: EmailMessage) -> list[FilePart]:
    files = []
    for part in message.iter_attachments():
        content = part.get_payload(decode=True)
        if isinstance(content, bytes):
            files.append(FilePart(safe_file_name(part.get_filename() or ""), part.get_content_type(), content))
    return files


def automatic_reason(message: EmailMessage, from_address: str) -> str:
    """Return why the mail came from a machine (RFC 3834 and the headers common practice adds), or ""."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if _header(message, name):
            return f"{name} header"
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if message.get_content_type() == "multipart/report":
        return "a delivery or read report"
    if _header(message, "Return-Path") == "<>":
        return "an empty return path (a bounce)"
    if from_address.split("@")[0].lower() in AUTOMATIC_SENDERS:
        return f"sent by {from_address}"
    return ""


def _ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(value)


def _sender(message: EmailMessage) -> tuple[str, str]:
    raw = _header(message, "From")
    try:
        addresses = [pair for pair in getaddresses([raw]) if pair[1]]
    except (ValueError, TypeError, IndexError):
        addresses = []
    name, address = addresses[0] if len(addresses) == 1 else parseaddr(raw) if not addresses else ("", "")
    address = address.strip()
    try:
        validate_email(address)
    except ValidationError:
        address = ""
    return clean_text(name, NAME_LIMIT).strip(), address


def mail_parse(raw: bytes) -> ReceivedMail:
    """Return what a received mail says; UnreadableMail when it is not a mail at all."""
    if not raw.strip():
        raise UnreadableMail("the message is empty")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not message.keys():
        raise UnreadableMail("no headers: this is not an email message")
    from_name, from_address = _sender(message)
    try:
        text, files = _body(message), _files(message)
    except (ValueError, TypeError, IndexError, LookupError, AttributeError) as error:
        raise UnreadableMail(f"the message body could not be read ({type(error).__name__})") from error
    message_ids = _ids(_header(message, "Message-ID"))
    answers = _ids(_header(message, "In-Reply-To")) + list(reversed(_ids(_header(message, "References"))))
    return ReceivedMail(
        message_id=message_ids[0] if message_ids else "",
        answers=list(dict.fromkeys(answers)),
        subject=clean_text(_header(message, "Subject"), SUBJECT_LIMIT),
        from_name=from_name,
        from_address=from_address,
        text=text,
        files=files,
        automatic=automatic_reason(message, from_address),
    )


def headers_glance(raw: bytes) -> tuple[str, str]:
    """Return the From and Subject of a mail not otherwise read (too large), for the Unprocessed mail list."""
    head = raw[:65536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    message = email.message_from_bytes(head, policy=email.policy.default)
    return _header(message, "From")[:320], clean_text(_header(message, "Subject"), SUBJECT_LIMIT)
