"""Handing out a stored attachment or kept mail: always as a download, never shown by the browser."""

from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404

from tickets.models import attachment_storage


def file_download(stored_name: str, *, name: str) -> FileResponse:
    """Return the file as an attachment of a neutral type, so an `x.html` can never run in the app's origin."""
    try:
        handle = attachment_storage().open(stored_name, "rb")
    except (FileNotFoundError, SuspiciousFileOperation) as error:
        raise Http404("The file is no longer stored") from error
    response = FileResponse(handle, as_attachment=True, filename=name, content_type="application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
