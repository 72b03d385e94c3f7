"""Undoing a merge while nothing new was recorded on the survivor, and forgetting what undo needs after that."""

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from companies.models import Company, Membership
from crm_core.actors import Actor
from customers.models import Activity, Contact, EmailAlias, Label
from customers.services import activity_record, contacts_search_refresh
from merges.models import Merge
from merges.services.merge import MergeRefused
from merges.services.snapshot import KEPT, MOVED, rows_restored, snapshot_files, stored_fields

# How long "Undo merge" is offered; after it (or once anything new is recorded on the survivor) the
# timeline's "Merged with …" entry is what explains the merge.
UNDO_WINDOW = timedelta(hours=24)


def merge_undoable(merge: Merge, *, now: Any = None) -> bool:
    """Return whether this merge can still be undone: recent, not undone, the survivor unchanged since."""
    now = now or timezone.now()
    if merge.undone_at is not None or not merge.snapshot or merge.merged_at < now - UNDO_WINDOW:
        return False
    latest = Activity.objects.filter(contact=merge.survivor_id).order_by("-created_at", "-id").values("pk").first()
    version = Contact.objects.filter(pk=merge.survivor_id).values_list("updated_at", flat=True).first()
    return latest is not None and latest["pk"] == merge.entry_id and version == merge.survivor_version


@transaction.atomic
def merge_undo(*, merge: Merge, actor: Actor) -> tuple[Contact, Contact]:
    """Put both contacts back as they were before the merge; return (survivor, merged contact).

    Refused (MergeRefused) once anything new was recorded on the survivor: an order, a mail or an edit
    since the merge would have to be split between two people, which only staff can do.
    """
    Contact.objects.select_for_update().filter(pk=merge.survivor_id).first()
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if not merge_undoable(merge):
        raise MergeRefused(
            "This merge can no longer be undone: something new was recorded on the contact since, or the "
            "undo window has closed. The timeline's merge entry says what was merged."
        )
    snapshot = merge.snapshot
    survivor_id, merged_id = merge.survivor_id, merge.merged_id
    # The aliases the merge gave the survivor go first, so the merged contact can have its email back.
    EmailAlias.objects.filter(contact=survivor_id).delete()
    Activity.objects.filter(pk=merge.entry_id).delete()
    for side in ("survivor", "merged"):
        _contact_restore(snapshot[side], insert=side == "merged")
    for name, (model, column) in MOVED.items():
        model.objects.filter(pk__in=snapshot["moved"][name]).update(**{column: merged_id})
    merge.undone_at = timezone.now()
    merge.snapshot = {}
    merge.save(update_fields=["undone_at", "snapshot"])
    contacts_search_refresh(contact_ids=[survivor_id, merged_id])
    survivor, merged = Contact.objects.get(pk=survivor_id), Contact.objects.get(pk=merged_id)
    activity_record(contact=survivor, event="merge_undone", actor=actor, body=f"Undid the merge with {merged.email}")
    activity_record(contact=merged, event="merge_undone", actor=actor, body=f"Separated again from {survivor.email}")
    return survivor, merged


def _contact_restore(rows: dict[str, Any], *, insert: bool) -> None:
    """Write one contact's rows back: the contact itself, its phones, companies, aliases and labels."""
    (contact,) = rows_restored(Contact, rows["contact"])
    # Every column as it was, read before an insert sets created_at to now, and a new version for edit forms.
    columns = {
        field.attname: getattr(contact, field.attname) for field in stored_fields(Contact) if not field.primary_key
    }
    if insert:
        Contact.objects.bulk_create([contact])
    Contact.objects.filter(pk=contact.pk).update(**{**columns, "updated_at": timezone.now()})
    for name in ("phones", "memberships", "aliases"):
        model = KEPT[name]
        model.objects.filter(contact=contact.pk).delete()
        restored = rows_restored(model, rows[name])
        if model is Membership:
            # A company deleted since the merge cannot be linked again.
            live = set(
                Company.objects.filter(pk__in=[link.company_id for link in restored]).values_list("pk", flat=True)
            )
            restored = [link for link in restored if link.company_id in live]
        model.objects.bulk_create(restored)
    through = Contact.labels.through
    through.objects.filter(contact=contact.pk).delete()
    through.objects.bulk_create(
        through(contact_id=contact.pk, label_id=pk)
        for pk in Label.objects.filter(pk__in=rows["labels"]).values_list("pk", flat=True)
    )


def merge_snapshots_expire(*, now: Any = None) -> str:
    """Forget what undo needed for merges past the window, and delete the image files nobody uses now."""
    now = now or timezone.now()
    expired = list(Merge.objects.filter(merged_at__lt=now - UNDO_WINDOW).exclude(snapshot={}))
    files = set().union(*(snapshot_files(merge.snapshot) for merge in expired)) if expired else set()
    used = set(
        Contact.objects.filter(Q(image__in=files) | Q(image_thumbnail__in=files)).values_list(
            "image", "image_thumbnail"
        )
    )
    unused = files - {name for pair in used for name in pair}
    Merge.objects.filter(pk__in=[merge.pk for merge in expired]).update(snapshot={})
    storage = Contact._meta.get_field("image").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in unused])
    return f"Closed the undo window of {len(expired)} merge{'s' if len(expired) != 1 else ''}"


def merge_undo_offered(*, contact: Contact) -> Merge | None:
    """Return the merge into this contact that "Undo merge" is offered for on its page, if there is one."""
    merge = (
        Merge.objects.filter(survivor=contact, undone_at__isnull=True, merged_at__gte=timezone.now() - UNDO_WINDOW)
        .exclude(snapshot={})
        .order_by("-merged_at", "-id")
        .first()
    )
    return merge if merge is not None and merge_undoable(merge) else None
