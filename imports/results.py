"""The file of rows an import did not take whole: the row as it was read, and a last column saying why."""

import csv
import io
from collections.abc import Iterator

from customers.export import cell
from imports.models import ImportRun, RowAction
from imports.selectors import import_rows_not_imported

WHY = "Why not imported"


def _reason(row) -> str:
    if row.applied == RowAction.ERROR:
        return row.outcome
    if row.action in (RowAction.ERROR, RowAction.SKIP):
        return " ".join(row.problems)
    return "Imported without: " + " ".join(row.problems)


def not_imported_csv(*, run: ImportRun) -> Iterator[str]:
    """Yield the CSV of the rows not imported (or imported without a value), in file order, a batch at a time.

    Written with the export's cell writer, so a formula typed into the original file stays inert here too.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow([cell(name) for name in [*run.header, WHY]])
    for count, row in enumerate(import_rows_not_imported(run=run).order_by("number").iterator(chunk_size=1000), 1):
        cells = row.cells + [""] * (len(run.header) - len(row.cells))
        writer.writerow([cell(value) for value in [*cells, _reason(row)]])
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
