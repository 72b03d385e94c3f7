"""The contact page's timeline entries: each value formatted once here, the markup rendered by a Jinja2 partial."""

import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.template.defaultfilters import linebreaksbr, urlize
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.text import normalize_newlines
from django.utils.timesince import timesince

from crm_core.jinja import partial_render
from crm_core.moments import moment_formatter
from crm_core.urls import url_for_pk
from customers.models import Activity, ActivityGroup, ActivityKind, Contact
from customers.selectors.activity import ActivityPage
from customers.services import note_can_delete, note_can_edit


def timeline_context(
    *, page: ActivityPage, contact: Contact, user: AbstractBaseUser, group: str = ""
) -> dict[str, Any]:
    """Return what contact_detail.html's timeline (its "activity" partial) needs, for every view that renders it."""
    return {
        "activity": page,
        "timeline_entries": timeline_entries_html(entries=page.entries, contact=contact, user=user),
        "activity_group": group,
        "activity_groups": ActivityGroup.choices,
    }


def timeline_entries_html(*, entries: Iterable[Activity], contact: Contact, user: AbstractBaseUser) -> SafeString:
    """Return the <li> of each entry (jinja2/customers/timeline_entries.html).

    Through Django's engine a whale's page spent most of its time here: three date formats, a timesince,
    an icon include and two permission filters for each of fifty entries.
    """
    edit_url = url_for_pk("customers:note_update", contact.pk)
    delete_url = url_for_pk("customers:note_delete", contact.pk)
    icons: dict[str, str] = {}
    actors: dict[tuple[str, int | None], str] = {}
    moment = moment_formatter(with_time=True)
    now = timezone.now()
    rows: list[dict[str, Any]] = []
    for entry in entries:
        group = entry.group
        if group not in icons:
            # The icon stays one component (also Django's to render), asked once per kind of entry.
            icons[group] = render_to_string("components/_activity_icon.html", {"group": group})
        note = entry.kind == ActivityKind.NOTE
        created = moment(entry.created_at)
        actor = (entry.actor_kind, entry.actor_id)
        if actor not in actors:
            actors[actor] = _actor_name(entry)
        rows.append(
            {
                "group": group,
                "icon": SafeString(icons[group]),
                "note": note,
                "body": _body_html(entry.body, note=note),
                "actor": actors[actor],
                "iso": created["iso"],
                "when": created["text"],
                "ago": timesince(entry.created_at, now),
                "edited": bool(entry.data.get("edited_at")) if isinstance(entry.data, dict) else False,
                "edit_url": edit_url(entry.pk) if note and note_can_edit(user=user, note=entry) else "",
                "delete_url": delete_url(entry.pk) if note and note_can_delete(user=user, note=entry) else "",
            }
        )
    return partial_render("customers/timeline_entries.html", {"entries": rows})


# urlize links a word only if it starts with http(s)://, starts with www., ends in one of these domains or is
# an email address (django.utils.html.Urlizer). A note with none of these has no link, and urlize would only
# escape it, at ten times the cost.
_MAY_LINK = re.compile(r"http|www\.|@|\.(?:com|edu|gov|int|mil|net|org)", re.IGNORECASE)


def _body_html(body: str, *, note: bool) -> SafeString:
    """A note's links become links; events may carry text from outside (a website message): theirs stay text.

    What the template's `urlize|linebreaksbr` and `linebreaksbr` give; an event's without the filters'
    wrappers, which cost more than the escaping itself.
    """
    if note and _MAY_LINK.search(body):
        return linebreaksbr(urlize(body, autoescape=True), autoescape=True)
    return SafeString(escape(normalize_newlines(body)).replace("\n", "<br>"))


def _actor_name(entry: Activity) -> str:
    if entry.actor is None:
        return entry.get_actor_kind_display()
    return entry.actor.get_full_name() or entry.actor.username
