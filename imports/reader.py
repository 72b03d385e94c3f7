"""Reading an uploaded CSV: its encoding and separator found, its header and first rows, then its rows one by one.

The file is never read whole: the encoding is checked with an incremental decoder over the raw bytes, and
the rows come from csv.reader over a decoding stream, so a 50 MB file costs a few buffers of memory.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

SAMPLE_BYTES = 64 * 1024
# A cell may be long (a note), but one of a megabyte is not a contact's: csv.reader refuses it with an error
# we turn into that row's message instead of its default 128 KB limit failing the whole file.
CELL_LIMIT = 1024 * 1024
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
# Bytes Windows-1252 leaves undefined: a file holding them is Latin-1 (ISO 8859-1) instead.
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
# Samples of each column shown on the mapping page.
SAMPLE_ROWS = 3


class FileProblem(Exception):
    """The file cannot be read as a CSV of contacts; the message says why in words for the person who chose it."""


@dataclass(frozen=True)
class FileShape:
    encoding: str
    delimiter: str
    header: list[str]
    samples: list[list[str]]


def _encoding_of(stream: IO[bytes]) -> str:
    """Return the encoding: UTF-16 by its BOM, UTF-8 (BOM or not) if every byte decodes so, else cp1252 or latin-1."""
    stream.seek(0)
    start = stream.read(SAMPLE_BYTES)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text": UTF-16 with a byte order mark, usually separated by tabs.
        stream.seek(0)
        return "utf-16"
    if b"\x00" in start[:8192]:
        raise FileProblem("This file holds binary data, so it is not a CSV. Save it from your spreadsheet as CSV.")
    decoder, chunk, undefined = codecs.getincrementaldecoder("utf-8")(), start, False
    utf8 = True
    while chunk:
        undefined = undefined or not CP1252_UNDEFINED.isdisjoint(chunk)
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
        chunk = stream.read(SAMPLE_BYTES)
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    stream.seek(0)
    if utf8:
        return "utf-8-sig" if start.startswith(codecs.BOM_UTF8) else "utf-8"
    return "latin-1" if undefined else "cp1252"


def _text(stream: IO[bytes], encoding: str) -> io.TextIOWrapper:
    # A Django File (an upload, a stored file) wraps the real file object, which is what TextIOWrapper reads.
    stream = getattr(stream, "file", stream)
    stream.seek(0)
    # newline="" as csv wants; NULs are removed cell by cell (cleaned()), not here.
    return io.TextIOWrapper(stream, encoding=encoding, newline="")


def _delimiter_of(sample: str) -> str:
    """Return the separator the header line uses most outside quotes: comma, semicolon or tab."""
    first_line, quoted = [], False
    for character in sample:
        if character == '"':
            quoted = not quoted
        elif character in "\r\n" and not quoted:
            break
        elif not quoted:
            first_line.append(character)
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def cleaned(value: str) -> str:
    """Return a cell as text to store: NUL characters removed, surrounding spaces trimmed."""
    return value.replace("\x00", "").strip()


def _reader(text: io.TextIOWrapper, delimiter: str) -> Iterator[list[str]]:
    csv.field_size_limit(CELL_LIMIT)
    return csv.reader(text, delimiter=delimiter, strict=False)


def shape_read(stream: IO[bytes]) -> FileShape:
    """Read the file's encoding, separator, header and first rows; raise FileProblem when it is not a usable CSV."""
    encoding = _encoding_of(stream)
    text = _text(stream, encoding)
    try:
        sample = text.read(SAMPLE_BYTES)
        if not sample.strip():
            raise FileProblem("This file is empty.")
        delimiter = _delimiter_of(sample)
        text.seek(0)
        rows = _reader(text, delimiter)
        try:
            header = [cleaned(name) for name in next(rows)]
            samples = []
            for row in rows:
                if any(cell.strip() for cell in row):
                    samples.append([cleaned(cell)[:200] for cell in row])
                if len(samples) == SAMPLE_ROWS:
                    break
        except csv.Error as error:
            raise FileProblem(f"This file cannot be read as CSV near its start ({error}).") from error
    finally:
        text.detach()
    if not any(header):
        raise FileProblem("The first row is empty; it should name the columns (First name, Email, …).")
    if not samples:
        raise FileProblem("The file has a header row but no contacts below it.")
    return FileShape(encoding=encoding, delimiter=delimiter, header=header, samples=samples)


@dataclass(frozen=True)
class FileRow:
    number: int  # the line the row starts on, the header being line 1
    cells: list[str]
    problem: str = ""


def rows_read(stream: IO[bytes], *, encoding: str, delimiter: str, columns: int) -> Iterator[FileRow]:
    """Yield each row after the header with its line number; a row that cannot be read says why in `problem`.

    Blank rows are passed over. A row with more or fewer cells than the header is reported, not guessed at.
    """
    text = _text(stream, encoding)
    try:
        rows = _reader(text, delimiter)
        next(rows, None)
        while True:
            number = rows.line_num + 1
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as error:
                message = str(error)
                if "field larger" in message:
                    message = f"A cell is longer than {CELL_LIMIT // 1024 // 1024} MB"
                yield FileRow(number=number, cells=[], problem=f"This row cannot be read: {message}.")
                continue
            if not any(cell.strip() for cell in row):
                continue
            cells = [cleaned(cell) for cell in row]
            if len(cells) > columns and not any(cells[columns:]):
                # Trailing separators a spreadsheet added after the last column.
                cells = cells[:columns]
            if len(cells) != columns:
                problem = (
                    f"This row has {len(cells)} cells but the header has {columns}; "
                    "check for a missing or extra separator or quote."
                )
                yield FileRow(number=number, cells=cells, problem=problem)
                continue
            yield FileRow(number=number, cells=cells)
    finally:
        text.detach()
