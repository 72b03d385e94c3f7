"""Fixtures the tests of this app share."""

import pytest

from crm_core.actors import Actor
from customers.models import Stage
from tests.factories import ContactFactory, PhoneNumberFactory, UserFactory


@pytest.fixture
def actor():
    return Actor.staff(UserFactory())


@pytest.fixture
def lead():
    contact = ContactFactory(
        email="ann@example.com", first_name="Ann", last_name="Lee", city="Leeds", country="GB", stage=Stage.LEAD
    )
    PhoneNumberFactory(contact=contact, number="+447400123456", position=0)
    PhoneNumberFactory(contact=contact, number="+442071838750", position=1)
    return contact
