"""SECURITY.md's inputs against every import page: as file names, as every cell, as choices and as parameters."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Contact
from imports.models import ImportRun
from tests.factories import UserFactory
from tests.imports.support import apply, csv_bytes, dry_run
from tests.naughty import NAUGHTY_STRINGS, OUT_OF_RANGE_IDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(username="ann", role="Staff"))
    return client


def test_naughty_strings_in_every_cell_import_as_text_and_show_escaped(staff, client):
    header = ["First name", "Last name", "Email", "Phone", "Labels", "Company", "Note", "Town or city", "Stage"]
    rows = [header]
    for n, text in enumerate(NAUGHTY_STRINGS):
        rows.append([text, text, f"n{n}@x.example", text, text, text, text, text, text])
        rows.append([text, "", text, "", "", "", "", "", ""])  # as the email, too
    run = dry_run(UserFactory(username="ann"), csv_bytes(rows), create_missing=True)
    # The two rows of nothing but empty cells or spaces are passed over as blank lines.
    assert run.rows == len(rows) - 1 - 2
    for show in ("", "create", "error"):
        response = staff.get(reverse("imports:detail", args=[run.pk]), {"show": show})
        assert response.status_code == 200
        assert "<script>alert(123)</script>" not in response.text
        assert "<img src=x onerror" not in response.text
    apply(ImportRun.objects.get(pk=run.pk), UserFactory(username="ann"))
    assert Contact.objects.filter(first_name="<script>alert(123)</script>").exists()
    assert Contact.objects.filter(first_name="=cmd|' /C calc'!A0").exists()
    download = staff.get(reverse("imports:not_imported", args=[run.pk]))
    body = b"".join(download.streaming_content).decode()
    assert "\n=" not in body
    assert ',"=' not in body


@pytest.mark.parametrize("name", [*NAUGHTY_STRINGS[1:40], "../../../../etc/passwd", "x.html", "a" * 300 + ".csv"])
def test_any_file_name_is_kept_as_text_and_the_file_stored_under_a_generated_name(staff, name, export_files):
    upload = SimpleUploadedFile(name or "x", csv_bytes([["Email"], ["a@x.example"]]), content_type="text/csv")
    response = staff.post(reverse("imports:start"), {"file": upload})
    if response.status_code == 400:
        # A name Django's upload handling reduces to nothing (only slashes, control or invisible characters)
        # arrives as no file, which the field says.
        assert "Choose a CSV file to import" in response.text
        assert not ImportRun.objects.exists()
        return
    run = ImportRun.objects.get()
    assert run.stored_file.startswith("imports/")
    assert run.stored_file.endswith(".csv")
    assert ".." not in run.stored_file
    assert [path.name for path in export_files.rglob("*") if path.is_file()] == [run.stored_file.split("/")[-1]]
    page = staff.get(reverse("imports:columns", args=[run.pk]))
    assert page.status_code == 200
    assert "<script>alert(123)</script>" not in page.text


def test_naughty_choices_and_parameters_get_a_message_or_are_ignored_never_a_500(staff):
    run = dry_run(UserFactory(username="ann"), csv_bytes([["Email"], ["a@x.example"]]))
    for value in [*NAUGHTY_STRINGS, *OUT_OF_RANGE_IDS]:
        ImportRun.objects.filter(pk=run.pk).update(status="mapping")
        response = staff.post(reverse("imports:columns", args=[run.pk]), {"column_0": value, "mode": value})
        assert response.status_code == 400, value
        assert "There is a problem" in response.text
        detail = staff.get(reverse("imports:detail", args=[run.pk]), {"show": value, "after": value})
        assert detail.status_code == 200, value


@pytest.mark.parametrize("pk", OUT_OF_RANGE_IDS[:1])
def test_an_id_no_column_holds_is_a_404(staff, pk):
    assert staff.get(f"/contacts/import/{pk}/").status_code == 404
