"""customers.services.export: every export is on record before its first byte, and says how it ended."""

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections

from customers.export import FULL, SHOPIFY, export_csv
from customers.models import (
    ExportLog,
    Stage,
)
from customers.selectors import contacts_live
from customers.views.export import contact_export
from tests.customers.support.export import EXPORT, download
from tests.factories import (
    ContactFactory,
    LabelFactory,
)

pytestmark = pytest.mark.django_db


class TestAudit:
    def test_every_export_is_logged_with_who_what_and_how_many(self, staff_client, staff_user):
        vip = LabelFactory(name="VIP")
        ann, bob = ContactFactory(), ContactFactory()
        for contact in (ann, bob):
            contact.labels.add(vip)
        download(staff_client, scope="selected", query=f"labels={vip.pk}", ids=[bob.pk, ann.pk], columns=SHOPIFY)
        log = ExportLog.objects.get()
        assert (log.user, log.scope, log.columns, log.row_count) == (staff_user, "selected", SHOPIFY, 2)
        assert log.filters == {"filters": f"labels={vip.pk}", "ids": sorted([ann.pk, bob.pk]), "finished": True}
        assert log.created_at is not None

    @pytest.mark.parametrize(("scope", "logged"), [("matching", "filter"), ("all", "all")])
    def test_the_scope_is_logged(self, staff_client, scope, logged):
        ContactFactory(stage=Stage.CUSTOMER)
        download(staff_client, scope=scope, query="stage=customer")
        log = ExportLog.objects.get()
        assert log.scope == logged
        assert log.filters["filters"] == ("stage=customer" if scope == "matching" else "")

    def test_the_entry_exists_before_the_first_byte_and_records_a_download_cut_short(self, rf, staff_user):
        """A client that goes away mid-download still leaves an entry, marked unfinished (SECURITY 5)."""
        ContactFactory.create_batch(3)
        # The view itself, without the test client's wrapper around the stream, so closing it is what a WSGI
        # server does when the client disconnects.
        request = rf.post(EXPORT, {"download": "1", "scope": "all", "columns": FULL})
        request.user = staff_user
        response = contact_export(request)
        log = ExportLog.objects.get()
        assert (log.row_count, log.filters["finished"]) == (0, False)
        next(iter(response.streaming_content))
        # The server then also closes the database connection; here it is the test's, so it stays open.
        request_finished.disconnect(close_old_connections)
        try:
            response.close()
        finally:
            request_finished.connect(close_old_connections)
        log.refresh_from_db()
        assert (log.row_count, log.filters["finished"]) == (0, False)

    def test_rows_handed_on_before_a_disconnect_are_counted(self, staff_user):
        ContactFactory.create_batch(3)
        log = ExportLog.objects.create(user=staff_user, scope="all", columns=FULL, filters={"finished": False})
        chunks = export_csv(contacts=contacts_live(), columns=FULL, log=log, batch_size=1)
        next(chunks)
        next(chunks)
        chunks.close()
        log.refresh_from_db()
        assert (log.row_count, log.filters["finished"]) == (1, False)
