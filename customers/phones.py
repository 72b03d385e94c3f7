"""Phone numbers as people type them, read with the phonenumbers library."""

import phonenumbers
from django.conf import settings


class InvalidPhoneNumber(ValueError):
    pass


def phone_to_e164(text: str, *, region: str | None = None) -> str:
    """Return the E.164 form of a number typed with spaces, brackets or a +country prefix."""
    text = (text or "").strip()
    if not text or len(text) > 40:
        raise InvalidPhoneNumber("Enter a phone number like 020 7183 8750 or +44 20 7183 8750.")
    try:
        parsed = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber("Enter a phone number like 020 7183 8750 or +44 20 7183 8750.") from error
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber("Enter a real phone number, including the area code.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    """Return a stored number in international format for people to read."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164
