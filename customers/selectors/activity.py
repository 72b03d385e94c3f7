"""The contact page's timeline, read a page at a time newest first, and the cursor of its Show more."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from crm_core.bounds import id_parsed, moment_storable
from customers.models import (
    Activity,
    ActivityGroup,
    Contact,
)

# The contact page shows the latest entries; older ones are a page away, so a contact with thousands
# of entries still loads in one bounded query.
ACTIVITY_PAGE_SIZE = 50


@dataclass(frozen=True)
class ActivityPage:
    entries: list[Activity]
    # Where the next (older) page starts: "<created_at ISO>_<id>", or None on the last page.
    next_cursor: str | None


def activity_cursor_parsed(text: str | None) -> tuple[datetime, int] | None:
    """Return the (created_at, id) a "Show more" link points at, or None for one that is not valid."""
    moment, _, pk = (text or "").rpartition("_")
    entry = id_parsed(pk)
    if entry is None or len(text) > 80:
        return None
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return None
    return (parsed, entry) if moment_storable(parsed) else None


def activity_page(
    *, contact: Contact, group: str = "", cursor: str | None = None, size: int = ACTIVITY_PAGE_SIZE
) -> ActivityPage:
    """Return a page of the contact's timeline, newest first, in one query whatever its length.

    The page reads the timeline index from the cursor on, so a contact with thousands of entries costs
    what one with fifty does.
    """
    entries = Activity.objects.filter(contact=contact).select_related("actor").order_by("-created_at", "-id")
    if group in ActivityGroup.values:
        entries = entries.filter(Activity.in_group(ActivityGroup(group)))
    after = activity_cursor_parsed(cursor)
    if after is not None:
        moment, pk = after
        entries = entries.filter(Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=pk))
    rows = list(entries[: size + 1])
    last = rows[size - 1] if len(rows) > size else None
    return ActivityPage(
        entries=rows[:size], next_cursor=f"{last.created_at.isoformat()}_{last.pk}" if last is not None else None
    )
