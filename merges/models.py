"""Possible duplicates the finder found (DuplicatePair), pairs staff said are two people, and each merge done."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from customers.models import Contact


class Reason(models.TextChoices):
    """Why two contacts may be one person; the finder (merges.finder) has one candidate query per reason."""

    PHONE = "phone", "Same phone number"
    NAME_COMPANY = "name_company", "Same name and same company"
    NAME_EMAIL = "name_email", "Same name, and emails that differ only by dots or a +tag"
    EMAIL_LOCAL = "email_local", "Same email name at another domain"


def _ordered(name: str) -> models.CheckConstraint:
    # A pair is stored once, the lower id first, so (a, b) and (b, a) are the same row.
    return models.CheckConstraint(condition=Q(contact__lt=F("other")), name=name)


class DuplicatePair(models.Model):
    """Two live contacts the last run of the finder thinks may be one person, and why."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(default=list)
    found_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "other"], name="duplicate_pair_unique"),
            _ordered("duplicate_pair_ordered"),
        ]
        indexes = [models.Index(fields=["other"], name="duplicate_pair_other_idx")]

    def __str__(self) -> str:
        return f"{self.contact_id} and {self.other_id}"


class Dismissal(models.Model):
    """A pair staff said is two people ("not the same person"): never suggested again."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dismissed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "other"], name="dismissal_unique"),
            _ordered("dismissal_ordered"),
        ]
        indexes = [models.Index(fields=["other"], name="dismissal_other_idx")]

    def __str__(self) -> str:
        return f"{self.contact_id} and {self.other_id} are two people"


class Merge(models.Model):
    """One merge: who was merged into whom, by whom, and (while it can be undone) both contacts as they were."""

    survivor = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    # The removed contact's id, kept so its old address (/contacts/<id>/) can lead to the survivor.
    merged_id = models.BigIntegerField()
    merged_name = models.CharField(max_length=301, blank=True)
    merged_email = models.EmailField(max_length=254)
    # What undo needs (merges.services.undo); emptied once the undo window has closed or the survivor changed.
    snapshot = models.JSONField(default=dict, blank=True)
    # The id of the "Merged with …" entry on the survivor's timeline: undo is offered while it is the latest.
    # A plain id, not a foreign key, so deleting activity (a purge, an erasure) never has to look here.
    entry_id = models.BigIntegerField(null=True, blank=True)
    survivor_version = models.DateTimeField()
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]
        indexes = [
            models.Index(fields=["merged_id"], name="merge_merged_idx"),
            models.Index(fields=["survivor", "-merged_at"], name="merge_survivor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.merged_email} merged into contact {self.survivor_id}"
