"""customers.selectors.export: a selection read in primary-key batches, with its related rows."""

import pytest
from django.utils import timezone

from customers.models import (
    Contact,
)
from customers.selectors import contacts_for_export, contacts_live
from tests.customers.support.export import everything_contact_lite

pytestmark = pytest.mark.django_db


class TestBatches:
    def related_counts(self, batch):
        return [
            (len(row["phones"]), len(row["labels"]), len(row["memberships"]), len(row["consents"])) for row in batch
        ]

    def test_a_dense_batch_leaves_out_the_related_rows_of_contacts_not_in_it(self):
        """A batch with few gaps is read by key range; a trashed contact inside it brings nothing along."""
        first, gone, last = (everything_contact_lite() for _ in range(3))
        Contact.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
        [batch] = contacts_for_export(contacts=contacts_live())
        assert [row["id"] for row in batch] == [first.pk, last.pk]
        assert self.related_counts(batch) == [(1, 1, 1, 1)] * 2
        assert batch[1]["phones"] == [(last.phones.get().number, "")]

    def test_a_sparse_batch_is_read_by_its_keys(self):
        contacts = [everything_contact_lite() for _ in range(8)]
        chosen = [contacts[0].pk, contacts[-1].pk]
        [batch] = contacts_for_export(contacts=contacts_live().filter(pk__in=chosen))
        assert [row["id"] for row in batch] == chosen
        assert self.related_counts(batch) == [(1, 1, 1, 1)] * 2
        assert batch[1]["labels"] == [(contacts[-1].labels.get().name,)]
