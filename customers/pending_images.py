"""Contact images kept aside while the contact form comes back with an error, until the contact is saved.

A browser forgets a chosen file when the page comes back, so a valid upload, already re-encoded by
customers.images, is stored under a generated name in a folder of the default storage that nothing serves
(contact images reach the browser only through the app's own views), and the form carries a signed token
naming it. The token is bound to the person who chose the image and lasts TOKEN_MAX_AGE. The files go when
the contact is saved, or the image is removed or replaced; pending_images_purge removes any left older than
a token's life, each time an image is kept and from `manage.py purge_pending_images`.
"""

import re
import uuid
from datetime import timedelta

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from customers.images import OUTPUT_FORMATS, ProcessedImage

FOLDER = "pending-images"
TOKEN_SALT = "customers.pending_images"  # noqa: S105 - a namespace for signing, not a secret
TOKEN_MAX_AGE = timedelta(hours=1)
EXTENSIONS = {extension for _format, extension in OUTPUT_FORMATS.values()}
KEY = re.compile(r"[0-9a-f]{32}")


class PendingImageInvalid(Exception):
    """A token that was altered, has expired, is someone else's, or names files no longer there."""


def _file_names(key: str, extension: str) -> tuple[str, str]:
    return f"{FOLDER}/{key}{extension}", f"{FOLDER}/{key}-thumbnail{extension}"


def _token_files(*, token: str, user_id: int) -> tuple[str, tuple[str, str]]:
    """Return the extension and file names a token names; raise PendingImageInvalid for any other token."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise PendingImageInvalid("The token is altered or expired") from error
    if not isinstance(payload, dict) or payload.get("user") != user_id:
        raise PendingImageInvalid("The token belongs to someone else")
    key, extension = payload.get("key"), payload.get("extension")
    if not isinstance(key, str) or not KEY.fullmatch(key) or extension not in EXTENSIONS:
        raise PendingImageInvalid("The token names no kept image")
    return extension, _file_names(key, extension)


def pending_image_keep(*, image: ProcessedImage, user_id: int) -> str:
    """Store a processed image aside and return the signed token that names it, for this user only."""
    # The folder only grows here, so here is where it is kept from growing for ever.
    pending_images_purge()
    key = uuid.uuid4().hex
    for name, content in zip(_file_names(key, image.extension), (image.image, image.thumbnail), strict=True):
        content.seek(0)
        default_storage.save(name, content)
    return signing.dumps({"key": key, "extension": image.extension, "user": user_id}, salt=TOKEN_SALT)


def pending_image_load(*, token: str, user_id: int) -> ProcessedImage:
    """Return the image a token names, ready for the contact services; raise PendingImageInvalid if none."""
    extension, (image_name, thumbnail_name) = _token_files(token=token, user_id=user_id)
    try:
        with default_storage.open(image_name, "rb") as image, default_storage.open(thumbnail_name, "rb") as thumbnail:
            image_bytes, thumbnail_bytes = image.read(), thumbnail.read()
    except OSError as error:
        raise PendingImageInvalid("The kept image is gone") from error
    return ProcessedImage(
        image=ContentFile(image_bytes, name=f"image{extension}"),
        thumbnail=ContentFile(thumbnail_bytes, name=f"thumbnail{extension}"),
        extension=extension,
    )


def pending_image_discard(*, token: str, user_id: int) -> None:
    """Remove the files a token names; a token that names none is ignored."""
    try:
        _extension, names = _token_files(token=token, user_id=user_id)
    except PendingImageInvalid:
        return
    for name in names:
        default_storage.delete(name)


def pending_images_purge(*, older_than: timedelta = TOKEN_MAX_AGE) -> int:
    """Remove kept images older than a token's life, whose tokens can no longer be used; return how many files."""
    try:
        _folders, names = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return 0
    cutoff = timezone.now() - older_than
    removed = 0
    for name in names:
        path = f"{FOLDER}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                removed += 1
        except FileNotFoundError:
            # Another request removed it first.
            continue
    return removed
