"""Reads of labels for the contact page: its own and those it lacks."""

import pytest

from customers.selectors import labels_on_and_off
from tests.factories import ContactFactory, LabelFactory

pytestmark = pytest.mark.django_db


def test_a_contacts_labels_and_those_it_lacks_come_by_name_in_one_query(django_assert_num_queries):
    contact = ContactFactory()
    bee, ant, cat = LabelFactory(name="bee"), LabelFactory(name="Ant"), LabelFactory(name="cat")
    contact.labels.add(bee, ant)
    ContactFactory().labels.add(cat)
    with django_assert_num_queries(1):
        on, off = labels_on_and_off(contact=contact)
    assert (on, off) == ([ant, bee], [cat])
