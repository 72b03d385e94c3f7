"""Abstract building blocks shared by the apps' models: timestamps, changed-columns saves, the address."""

import copy
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def _comparable(value: Any) -> Any:
    # A file field holds a name in the row and a FieldFile once read; JSON values can be changed in place.
    if isinstance(value, FieldFile):
        return value.name
    if isinstance(value, dict | list):
        return copy.deepcopy(value)
    return value


class VersionedQuerySet(models.QuerySet):
    """A queryset whose update() moves updated_at, the version an edit form checks, on every row it writes.

    A write that leaves the version alone lets a form opened before it save over what it changed, so every
    update moves it, except one that only writes columns derived from others (`derived_fields`), which no
    form shows.
    """

    derived_fields: frozenset[str] = frozenset()

    def update(self, **kwargs: Any) -> int:
        if "updated_at" not in kwargs and not kwargs.keys() <= self.derived_fields:
            kwargs["updated_at"] = timezone.now()
        return super().update(**kwargs)


class ChangedColumnsModel(TimeStampedModel):
    """A model whose save() of a row it read writes only the columns changed since then, and moves updated_at.

    A plain save() writes every column from the copy in memory, so a request that read a row and saved it
    later would write back what another transaction changed in between (an order's totals, the consent
    state, the Trash). Values are remembered when the row is read, refreshed or saved; save() compares.
    """

    class Meta:
        abstract = True

    def save(self, **kwargs: Any) -> None:
        if kwargs.get("update_fields") is None and not self._state.adding and not kwargs.get("force_insert"):
            changed = self.changed_fields()
            if changed is not None:
                if not changed:
                    return
                kwargs["update_fields"] = [*changed, "updated_at"]
        super().save(**kwargs)
        update_fields = kwargs.get("update_fields")
        names = update_fields if update_fields is not None else [f.attname for f in self._meta.concrete_fields]
        self._remember_saved(self._meta.get_field(name).attname for name in names)

    @classmethod
    def from_db(cls, db: str, field_names: Iterable[str], values: Iterable[Any]) -> "ChangedColumnsModel":
        instance = super().from_db(db, field_names, values)
        instance._remember_saved(field_names)
        return instance

    def refresh_from_db(self, using: str | None = None, fields: Iterable[str] | None = None, **kwargs: Any) -> None:
        fields = None if fields is None else list(fields)
        super().refresh_from_db(using=using, fields=fields, **kwargs)
        names = fields if fields is not None else [field.attname for field in self._meta.concrete_fields]
        self._remember_saved(self._meta.get_field(name).attname for name in names)

    def changed_fields(self) -> list[str] | None:
        """Return the fields whose value differs from the row as read, or None if this copy was never read."""
        saved = self.__dict__.get("_saved_values")
        if saved is None:
            return None
        return [
            field.name
            for field in self._meta.concrete_fields
            if not field.primary_key
            and not field.generated
            # A deferred field that was never set is not in __dict__; reading it would query.
            and field.attname in self.__dict__
            and (field.attname not in saved or _comparable(self.__dict__[field.attname]) != saved[field.attname])
        ]

    def assume_saved(self, **values: Any) -> None:
        """Set values a queryset update has already written, so a later save() does not write them again."""
        for name, value in values.items():
            setattr(self, name, value)
        self._remember_saved(self._meta.get_field(name).attname for name in values)

    def _remember_saved(self, attnames: Iterable[str]) -> None:
        saved = self.__dict__.setdefault("_saved_values", {})
        for attname in attnames:
            if attname in self.__dict__:
                saved[attname] = _comparable(self.__dict__[attname])


class AddressFields(models.Model):
    """A postal address as staff type it; every part is optional."""

    address_line1 = models.CharField("Address line 1", max_length=200, blank=True)
    address_line2 = models.CharField("Address line 2", max_length=200, blank=True)
    city = models.CharField("Town or city", max_length=100, blank=True)
    region = models.CharField("County, state or province", max_length=100, blank=True)
    postal_code = models.CharField("Postcode", max_length=20, blank=True)
    country = models.CharField("Country", max_length=2, blank=True, help_text="Two-letter ISO code, e.g. GB")

    ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "region", "postal_code", "country")

    class Meta:
        abstract = True

    @property
    def address_lines(self) -> list[str]:
        """Return the non-empty lines of the address, in postal order."""
        locality = " ".join(part for part in (self.city, self.postal_code) if part)
        lines = [self.address_line1, self.address_line2, locality, self.region, self.country]
        return [line for line in lines if line]
