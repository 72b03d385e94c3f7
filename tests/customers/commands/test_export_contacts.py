"""manage.py export_contacts: the same file as the web export, written to a path or standard output."""

import io
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from customers.export import COLUMN_SETS, FULL
from customers.models import (
    ConsentRecord,
    ConsentSource,
    ConsentState,
    ExportLog,
)
from tests.customers.support.export import NOTHING, column, everything_contact, rows_of
from tests.factories import (
    ContactFactory,
    LabelFactory,
)

pytestmark = pytest.mark.django_db


class TestCommand:
    def run(self, *args) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        call_command("export_contacts", *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    def test_all_contacts_to_standard_output_logged_without_a_user(self):
        everything_contact()
        ContactFactory(deleted_at=timezone.now())
        out, err = self.run()
        rows = rows_of(out)
        assert rows[0] == list(COLUMN_SETS[FULL].header)
        assert column(rows, "Email") == ["ann@x.example"]
        assert "Exported 1 contacts (full columns) to standard output" in err
        log = ExportLog.objects.get()
        assert (log.user, log.scope, log.columns, log.row_count) == (None, "command", FULL, 1)
        assert log.filters == {"scope": "all", "filters": "", "finished": True}

    def test_a_filter_to_a_file_in_shopify_columns_with_a_bom(self, tmp_path):
        vip = LabelFactory(name="VIP")
        ContactFactory(email="ann@x.ex", first_name="Ann").labels.add(vip)
        ContactFactory(email="anna@x.ex", first_name="Anna")
        ContactFactory(email="bob@x.ex", first_name="Bob").labels.add(vip)
        target = tmp_path / "vip.csv"
        query = f"labels={vip.pk}&q=ann&sort=-created&cursor=abc"
        self.run("--query", query, "--columns", "shopify", "--bom", "-o", str(target))
        raw = target.read_bytes()
        assert raw.startswith(b'\xef\xbb\xbf"Customer ID",')
        assert column(rows_of(raw.decode("utf-8-sig")), "Email") == ["ann@x.ex"]
        log = ExportLog.objects.get()
        assert log.filters == {"scope": "filter", "filters": f"q=ann&labels={vip.pk}", "finished": True}

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--query", "lables=3"], "Not a filter of the contacts list: lables"),
            (["--query", "labels=999999"], "Labels: Select a valid choice."),
            (["--scope", "filter"], "--scope filter needs --query"),
            (["--scope", "all", "--query", "stage=lead"], "--query narrows --scope filter"),
            (["--query", "q=nobody-has-this"], NOTHING),
        ],
    )
    def test_bad_arguments_stop_before_anything_is_written(self, args, message):
        ContactFactory()
        with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(".", r"\.")):
            self.run(*args)
        assert not ExportLog.objects.exists()

    def test_the_command_writes_cells_by_the_same_rule(self, tmp_path):
        """`manage.py export_contacts` streams through the same writer: every field quoted, every formula marked."""
        contact = ContactFactory(first_name="x;=SUM(1+41);y", last_name="=1+1", email="ann@x.ex")
        ConsentRecord.objects.create(
            contact=contact,
            state=ConsentState.SUBSCRIBED,
            source=ConsentSource.STAFF,
            given_at=datetime(2026, 2, 1, 12, 0, tzinfo=UTC),
            collected_how="Note\n=1+1",
        )
        target = tmp_path / "contacts.csv"
        self.run("-o", str(target))
        text = target.read_text(encoding="utf-8")
        assert f'"{contact.pk}","x;\'=SUM(1+41);y","\'=1+1","ann@x.ex",' in text
        assert column(rows_of(text), "Marketing consent history") == [
            "2026-02-01T12:00:00+00:00 Email: Subscribed (Staff, Unknown) Note\n'=1+1"
        ]

    def test_an_output_path_that_cannot_be_written(self, tmp_path):
        ContactFactory()
        with pytest.raises(CommandError, match="Cannot write"):
            self.run("-o", str(tmp_path / "missing" / "x.csv"))
        assert not ExportLog.objects.exists()
