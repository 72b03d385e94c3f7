"""Small image files built in memory, for tests that upload a contact image."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def png_upload(name: str = "photo.png", size: tuple[int, int] = (300, 200), colour: str = "teal") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def png_bytes(**kwargs) -> bytes:
    return png_upload(**kwargs).read()
