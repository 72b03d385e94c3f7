"""Phone numbers as people type them, read with the phonenumbers library."""

import re
from functools import lru_cache

import phonenumbers
from django.conf import settings

# Longer than any real number typed with spaces and brackets; longer input is refused before parsing.
MAX_TYPED_LENGTH = 40
FORMAT_MESSAGE = "Enter a phone number like 07700 900123 or +44 7700 900123"
# Digits and the punctuation people type between them. Letters are refused although phonenumbers would
# read them as a keypad word ("0800 FLOWERS"), and so is anything else it would silently skip (emoji).
TYPED = re.compile(r"[0-9+()\-./\s]+")


class InvalidPhoneNumber(ValueError):
    pass


def phone_to_e164(text: str, *, region: str | None = None) -> str:
    """Return the E.164 form of a number typed with spaces, brackets or a +country prefix."""
    text = (text or "").strip()
    if not text or len(text) > MAX_TYPED_LENGTH or not TYPED.fullmatch(text):
        raise InvalidPhoneNumber(FORMAT_MESSAGE)
    try:
        parsed = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(FORMAT_MESSAGE) from error
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber("Enter a real phone number, including the area code")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# Parsing and formatting cost about 0.1 ms a number, paid fifty times by each page of the contacts list;
# the answer depends only on the number, so the numbers on recently seen pages are kept.
@lru_cache(maxsize=4096)
def phone_display(e164: str) -> str:
    """Return a stored number in international format for people to read."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164
