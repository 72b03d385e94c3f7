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


# E.164 allows 15 digits after the "+"; a few regions' metadata allows longer national numbers.
MAX_E164_LENGTH = 16
_EXAMPLE = "like 07700 900123 or +44 7700 900123"
# Why phonenumbers says a number cannot be one, in words that say what to type instead.
IMPOSSIBLE_MESSAGES = {
    phonenumbers.ValidationResult.TOO_SHORT: f"This number is too short. Enter it with its area code, {_EXAMPLE}",
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: (
        f"This number is too short. Enter it with its area code, {_EXAMPLE}"
    ),
    phonenumbers.ValidationResult.TOO_LONG: f"This number is too long. Enter one phone number, {_EXAMPLE}",
    phonenumbers.ValidationResult.INVALID_LENGTH: (
        f"This number has the wrong number of digits for its country. Enter it {_EXAMPLE}"
    ),
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: f"Start with a country code that exists, {_EXAMPLE}",
}

_PARSE = phonenumbers.NumberParseException
PARSE_MESSAGES = {
    (_PARSE.INVALID_COUNTRY_CODE, True): IMPOSSIBLE_MESSAGES[phonenumbers.ValidationResult.INVALID_COUNTRY_CODE],
    (_PARSE.TOO_LONG, False): IMPOSSIBLE_MESSAGES[phonenumbers.ValidationResult.TOO_LONG],
    (_PARSE.TOO_LONG, True): IMPOSSIBLE_MESSAGES[phonenumbers.ValidationResult.TOO_LONG],
    (_PARSE.TOO_SHORT_NSN, False): IMPOSSIBLE_MESSAGES[phonenumbers.ValidationResult.TOO_SHORT],
    (_PARSE.TOO_SHORT_NSN, True): IMPOSSIBLE_MESSAGES[phonenumbers.ValidationResult.TOO_SHORT],
}


def phone_to_e164(text: str, *, region: str | None = None) -> str:
    """Return the E.164 form of a number typed with spaces, brackets or a +country prefix.

    Any number of a length the region's numbers can have is accepted, allocated or not (07700 900123 is a
    range kept for drama, and new ranges open every year): only what cannot be a phone number is refused.
    """
    text = (text or "").strip()
    if not text or len(text) > MAX_TYPED_LENGTH or not TYPED.fullmatch(text):
        raise InvalidPhoneNumber(FORMAT_MESSAGE)
    try:
        parsed = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(
            PARSE_MESSAGES.get((error.error_type, text.startswith("+")), FORMAT_MESSAGE)
        ) from error
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise InvalidPhoneNumber(IMPOSSIBLE_MESSAGES[reason])
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if len(e164) > MAX_E164_LENGTH:
        raise InvalidPhoneNumber(IMPOSSIBLE_MESSAGES[phonenumbers.ValidationResult.TOO_LONG])
    return e164


# Parsing and formatting cost about 0.1 ms a number, paid fifty times by each page of the contacts list;
# the answer depends only on the number, so the numbers on recently seen pages are kept.
@lru_cache(maxsize=4096)
def phone_display(e164: str) -> str:
    """Return a stored number in international format for people to read."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164
