"""Moments as pages show many of them: ISO 8601 for <time datetime> and "5 Mar 2025" (optionally ", 14:05") to read."""

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone
from django.utils.dates import MONTHS_3


def moment_formatter(*, with_time: bool = False) -> Callable[[datetime], dict[str, str]]:
    """Return a function giving a moment in the current time zone as {"iso": …, "text": …}.

    The template's date filters "c" and "j M Y" (", H:i") give the same, but look up the time zone, search
    the locale's format modules and parse the format again for each of the up to a hundred dates a list
    or a timeline page shows.
    """
    tz = timezone.get_current_timezone()
    # dateformat's "M": the current language's three-letter month names.
    months = {number: name.title() for number, name in MONTHS_3.items()}

    def formatted(moment: datetime) -> dict[str, str]:
        local = moment.astimezone(tz)
        text = f"{local.day} {months[local.month]} {local.year:04d}"
        if with_time:
            text += f", {local.hour:02d}:{local.minute:02d}"
        return {"iso": local.isoformat(), "text": text}

    return formatted
