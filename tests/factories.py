"""factory_boy factories for the domain model. Tests build data with these, never with fixtures files."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from companies.models import Company, CompanyAccess, Membership, MembershipAccess
from customers.models import Contact, Label, LabelColour, PhoneNumber, Stage
from customers.services import contacts_search_refresh
from orders.models import DeliverySource, Order, OrderConflict, OrderLine, OrderStatus


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """Put the user in a staff group: UserFactory(role="Viewer")."""
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


def staff_without_add_company(username: str = "no-new-companies"):
    """A user with every permission of Staff except adding companies (a custom setup some businesses use)."""
    user = UserFactory(username=username)
    staff = Group.objects.get(name="Staff").permissions.exclude(codename="add_company")
    user.user_permissions.set(staff)
    return user


class SearchRefreshingFactory(factory.django.DjangoModelFactory):
    """Factories write rows directly, so they refresh the contact's search document as the services do."""

    class Meta:
        abstract = True

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        super()._after_postgeneration(instance, create, results)
        if create:
            contacts_search_refresh(contact_ids=[getattr(instance, "contact_id", instance.pk)])


class ContactFactory(SearchRefreshingFactory):
    class Meta:
        model = Contact

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    stage = Stage.LEAD


class PhoneNumberFactory(SearchRefreshingFactory):
    class Meta:
        model = PhoneNumber

    contact = factory.SubFactory(ContactFactory)
    number = factory.Sequence(lambda n: f"+4420718{n:05d}")


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    name = factory.Sequence(lambda n: f"Label {n}")
    colour = LabelColour.BLUE


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n} Ltd")
    default_portal_access = CompanyAccess.PERSONAL


class MembershipFactory(SearchRefreshingFactory):
    class Meta:
        model = Membership

    contact = factory.SubFactory(ContactFactory)
    company = factory.SubFactory(CompanyFactory)
    portal_access = MembershipAccess.INHERIT


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    shop_order_id = factory.Sequence(lambda n: str(5000 + n))
    status = OrderStatus.PLACED
    contact = factory.SubFactory(ContactFactory, stage=Stage.CUSTOMER)
    buyer_email = factory.SelfAttribute("contact.email")
    subtotal = Decimal("20.00")
    total = Decimal("20.00")
    placed_at = factory.LazyFunction(timezone.now)


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    name = "Ceramic mug"
    unit_price = Decimal("10.00")
    quantity = 2
    total = Decimal("20.00")


class OrderConflictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderConflict

    order = factory.SubFactory(OrderFactory)
    source = DeliverySource.WEBHOOK
    differences = factory.Sequence(lambda n: [{"field": "total", "stored": "20.00", "received": f"{21 + n}.00"}])
    digest = factory.Sequence(lambda n: f"{n:064x}")
    received_at = factory.LazyFunction(timezone.now)
    last_received_at = factory.SelfAttribute("received_at")
