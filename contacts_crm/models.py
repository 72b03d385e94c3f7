"""Abstract building blocks shared by the apps' models."""

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


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
