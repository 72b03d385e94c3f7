"""manage.py import_contacts: the web import's reading, mapping, dry run and report, from the shell."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from customers.models import Contact
from imports.models import ImportRun
from tests.factories import ContactFactory, UserFactory
from tests.imports.support import csv_bytes

pytestmark = pytest.mark.django_db


def run_command(*args) -> str:
    out = io.StringIO()
    call_command("import_contacts", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.fixture
def file(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["E-mail", "First Name", "Phone"],
                ["ann@x.example", "Ann", ""],
                ["old@x.example", "Newer", "12"],
                ["bad", "", ""],
            ]
        )
    )
    return path


def test_a_dry_run_reports_and_writes_nothing(file):
    ContactFactory(email="old@x.example", first_name="Old")
    out = run_command(file, "--dry-run", "--update", "--map", "E-mail=email")
    run = ImportRun.objects.get()
    assert (
        f"Dry run of Import #{run.pk} (people.csv): 3 rows; 1 to create, 1 to update, 0 unchanged, 0 skipped, 1 error"
        in out
    )
    assert "  row 3 (old@x.example): Phone 12 not imported:" in out
    assert "  row 4 (no email): Enter an email address like name@example.com" in out
    assert "Imported" not in out
    assert Contact.objects.count() == 1


def test_the_import_writes_for_the_user_and_the_failed_rows_file_says_why(file, tmp_path):
    user = UserFactory(username="ann", role="Staff")
    failed = tmp_path / "failed.csv"
    out = run_command(file, "--map", "E-mail=email", "--user", "ann", "--failed", failed)
    assert "Imported: 2 created, 0 updated." in out
    assert ImportRun.objects.get().user == user
    assert Contact.objects.get(email="old@x.example").activities.get().actor == user
    rows = list(csv.reader(failed.open(encoding="utf-8")))
    assert rows[0] == ["E-mail", "First Name", "Phone", "Why not imported"]
    assert [row[0] for row in rows[1:]] == ["old@x.example", "bad"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "Nope=email"], "the file has no column 'Nope'"),
        (["--map", "E-mail=shoe_size"], "no field 'shoe_size'"),
        ([], "Choose the column that holds the email"),
        (["--user", "nobody", "--map", "E-mail=email"], "No active user called 'nobody'"),
    ],
)
def test_bad_options_say_what_is_wrong_and_nothing_is_written(file, args, message):
    with pytest.raises(CommandError, match=message):
        run_command(file, *args)
    assert not Contact.objects.exists()


def test_a_file_that_is_not_a_csv_is_refused(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(CommandError, match="binary data"):
        run_command(path)
    with pytest.raises(CommandError, match="No file at"):
        run_command(tmp_path / "missing.csv")
