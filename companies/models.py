"""Companies and the links between contacts and companies, which carry the Customer Portal permission."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from crm_core.models import TimeStampedModel
from customers.models import Contact


class CompanyAccess(models.TextChoices):
    """What a company's members may see in the Customer Portal unless their own link says otherwise."""

    PERSONAL = "personal", "Access personal tickets only"
    COMPANY = "company", "Access all company's tickets"


class MembershipAccess(models.TextChoices):
    INHERIT = "inherit", "As set in the Company Page"
    PERSONAL = "personal", "Access personal tickets only"
    COMPANY = "company", "Access all company's tickets"


def effective_portal_access(*, membership_access: str, company_default: str) -> CompanyAccess:
    """Return what a member may see in the Customer Portal: the link's own value, or the company's default.

    This is the only place the rule lives; pages, exports and the portal all ask this function.
    """
    if membership_access == MembershipAccess.INHERIT:
        return CompanyAccess(company_default)
    return CompanyAccess(membership_access)


def portal_access_condition(access: CompanyAccess, *, prefix: str = "") -> Q:
    """Return the condition on memberships whose effective access is `access`, for queries.

    Built by asking effective_portal_access about every pair of values, so the query and the rule above can
    never disagree. `prefix` reaches the membership from another model ("memberships__").
    """
    matching = Q(pk__in=[])
    for link in MembershipAccess:
        for default in CompanyAccess:
            if effective_portal_access(membership_access=link, company_default=default) == access:
                matching |= Q(**{f"{prefix}portal_access": link, f"{prefix}company__default_portal_access": default})
    return matching


class Company(TimeStampedModel):
    name = models.CharField(max_length=200)
    domain = models.CharField("Website or domain", max_length=253, blank=True)
    default_portal_access = models.CharField(
        "Customer Portal permission", max_length=10, choices=CompanyAccess, default=CompanyAccess.PERSONAL
    )
    members = models.ManyToManyField(Contact, through="Membership", related_name="companies")

    class Meta:
        verbose_name_plural = "companies"
        ordering = [Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="company_name_unique_ignoring_case"),
            models.CheckConstraint(condition=~Q(name=""), name="company_name_not_empty"),
            models.CheckConstraint(
                condition=Q(default_portal_access__in=CompanyAccess.values), name="company_default_access_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("companies:detail", args=[self.pk])


class Membership(TimeStampedModel):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    portal_access = models.CharField(
        "Customer Portal permission", max_length=10, choices=MembershipAccess, default=MembershipAccess.INHERIT
    )

    class Meta:
        ordering = ["company__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "company"], name="membership_unique_per_pair"),
            models.CheckConstraint(
                condition=Q(portal_access__in=MembershipAccess.values), name="membership_access_valid"
            ),
        ]
        indexes = [models.Index(fields=["company", "contact"], name="membership_company_idx")]

    def __str__(self) -> str:
        return f"{self.contact} at {self.company}"

    @property
    def effective_portal_access(self) -> CompanyAccess:
        return effective_portal_access(
            membership_access=self.portal_access, company_default=self.company.default_portal_access
        )

    @property
    def portal_access_reason(self) -> str:
        """Say what the member may see and why, as staff read it on the company and contact pages."""
        source = MembershipAccess.INHERIT.label if self.portal_access == MembershipAccess.INHERIT else "Overridden"
        return f"{source}: {self.effective_portal_access.label}"
