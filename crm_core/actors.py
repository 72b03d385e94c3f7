"""Who did something: a staff user, the customer, or the shop, the website or the system for the automatic ways in."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import models


class ActorKind(models.TextChoices):
    STAFF = "staff", "Staff"
    SHOP = "shop", "The shop"
    WEBSITE = "website", "The website"
    SYSTEM = "system", "The system"
    CUSTOMER = "customer", "The customer"


@dataclass(frozen=True)
class Actor:
    """Who did something; every service that records an event on a timeline takes one."""

    kind: ActorKind
    user: AbstractBaseUser | None = None

    @classmethod
    def staff(cls, user: AbstractBaseUser) -> "Actor":
        return cls(kind=ActorKind.STAFF, user=user)


SHOP = Actor(kind=ActorKind.SHOP)
WEBSITE = Actor(kind=ActorKind.WEBSITE)
SYSTEM = Actor(kind=ActorKind.SYSTEM)
# The contact themselves: a mail they sent, a reply in the Customer Portal.
CUSTOMER = Actor(kind=ActorKind.CUSTOMER)
