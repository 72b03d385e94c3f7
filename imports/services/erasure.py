"""What erasing a person removes from the import log: their rows' cells, email and changes; the counts stay."""

from typing import Any

from customers.models import Contact
from imports.models import ImportRow

ERASED = "Erased at the person's request."


def imports_contact_erase(sender: type, *, contact: Contact, **kwargs: Any) -> None:
    """Blank every import row that was matched to the contact or made it (called on customers' contact_erased).

    The row keeps its number and action, so each import's counts still add up. The uploaded file itself is
    deleted by the daily chore IMPORT_FILE_DAYS after its upload.
    """
    ImportRow.objects.filter(contact_id=contact.pk).update(email="", cells=[], changes=[], plan={}, problems=[ERASED])
