"""Reading uploaded files: encodings and separators found, and every kind of bad file refused with a clear message."""

import io

import pytest

from imports.reader import FileProblem, rows_read, shape_read
from tests.imports.support import csv_bytes

ROWS = [["First name", "Email"], ["Zoë", "zoe@x.example"], ["Ana", "ana@x.example"]]


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        (csv_bytes(ROWS), "utf-8"),
        (csv_bytes(ROWS, bom=True), "utf-8-sig"),
        (csv_bytes(ROWS, encoding="cp1252"), "cp1252"),
        # Excel's "Unicode text".
        (csv_bytes(ROWS, encoding="utf-16", delimiter="\t"), "utf-16"),
        # 0x81 is undefined in Windows-1252, so a file holding it is Latin-1.
        (csv_bytes([*ROWS, ["Ma\x81", "m@x.example"]], encoding="latin-1"), "latin-1"),
    ],
)
def test_the_encoding_is_found_and_accents_read_back(content, encoding):
    shape = shape_read(io.BytesIO(content))
    assert shape.encoding == encoding
    assert shape.header == ["First name", "Email"]
    assert shape.samples[0] == ["Zoë", "zoe@x.example"]


def test_a_utf8_file_with_one_bad_byte_far_down_is_read_as_windows_1252_not_cut_short():
    rows = [*ROWS, *([f"x{n}", f"p{n}@x.example"] for n in range(5000)), ["Caf\xe9", "c@x.example"]]
    content = csv_bytes(rows, encoding="cp1252")
    shape = shape_read(io.BytesIO(content))
    assert shape.encoding == "cp1252"
    last = list(rows_read(io.BytesIO(content), encoding=shape.encoding, delimiter=",", columns=2))[-1]
    assert last.cells == ["Café", "c@x.example"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_separator_is_sniffed_from_the_header(delimiter):
    content = csv_bytes([["First name", "Email", "Tags"], ["Ann", "a@x.example", "vip, new"]], delimiter=delimiter)
    shape = shape_read(io.BytesIO(content))
    assert shape.delimiter == delimiter
    assert shape.samples == [["Ann", "a@x.example", "vip, new"]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "This file is empty."),
        (b"   \r\n", "This file is empty."),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "binary data"),
        (b"First name,Email\r\n", "a header row but no contacts"),
        (b"First name,Email\r\n,\r\n,\r\n", "a header row but no contacts"),
        (b",,\r\nAnn,a@x.example,\r\n", "The first row is empty"),
    ],
)
def test_files_that_are_not_a_csv_of_contacts_are_refused_saying_why(content, message):
    with pytest.raises(FileProblem, match=message):
        shape_read(io.BytesIO(content))


def test_ragged_rows_are_reported_with_their_line_and_the_rest_read():
    content = b"First name,Email\r\nAnn,a@x.example\r\nBob\r\nCy,c@x.example,extra\r\nDi,d@x.example,,\r\n"
    rows = list(rows_read(io.BytesIO(content), encoding="utf-8", delimiter=",", columns=2))
    assert [(row.number, row.problem[:22]) for row in rows] == [
        (2, ""),
        (3, "This row has 1 cells b"),
        (4, "This row has 3 cells b"),
        (5, ""),  # trailing empty cells a spreadsheet added are dropped
    ]
    assert rows[3].cells == ["Di", "d@x.example"]


def test_a_line_number_counts_the_lines_of_a_multi_line_cell_before_it():
    content = b'First name,Email\r\n"Ann\nLee",a@x.example\r\nBob,b@x.example\r\n'
    rows = list(rows_read(io.BytesIO(content), encoding="utf-8", delimiter=",", columns=2))
    assert [(row.number, row.cells[0]) for row in rows] == [(2, "Ann\nLee"), (4, "Bob")]


def test_a_huge_cell_is_that_rows_error_and_a_nul_is_removed_from_a_cell():
    huge = "x" * (1024 * 1024 + 10)
    content = f'First name,Email\r\n"{huge}",a@x.example\r\nB\x00ob,b@x.example\r\n'.encode()
    rows = list(rows_read(io.BytesIO(content), encoding="utf-8", delimiter=",", columns=2))
    assert rows[0].problem == "This row cannot be read: A cell is longer than 1 MB."
    assert rows[-1].cells == ["Bob", "b@x.example"]


def test_a_cell_of_100k_characters_is_read_for_its_field_to_judge():
    content = csv_bytes([["First name", "Email"], ["x" * 100_000, "a@x.example"]])
    (row,) = rows_read(io.BytesIO(content), encoding="utf-8", delimiter=",", columns=2)
    assert row.problem == ""
    assert len(row.cells[0]) == 100_000
