"""Contact images: refuse anything but a small JPEG, PNG, GIF or WebP, and re-encode the rest without metadata."""

import io
import struct
import warnings
from dataclasses import dataclass

from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Below Pillow's own bomb limit (about 89 megapixels) and above what phone cameras save by default.
MAX_PIXELS = 40_000_000
MAX_EDGE = 1024
THUMBNAIL_SIZE = (160, 160)
ACCEPT = "image/jpeg,image/png,image/gif,image/webp"
HELP_TEXT = "JPEG, PNG, GIF or WebP, up to 5 MB"

EMPTY_MESSAGE = "The file is empty"
SIZE_MESSAGE = "The image must be 5 MB or smaller"
TYPE_MESSAGE = "Choose a JPEG, PNG, GIF or WebP image"
PIXELS_MESSAGE = f"This image is too large to open (more than {MAX_PIXELS // 1_000_000} megapixels)"
DAMAGED_MESSAGE = "The image file is damaged or incomplete"

# Enough leading bytes to tell the four allowed formats apart (WebP names itself at offset 8).
SNIFF_BYTES = 12
# Pillow format read → (Pillow format written, extension). A GIF keeps only its first frame, stored as PNG.
OUTPUT_FORMATS = {
    "JPEG": ("JPEG", ".jpg"),
    "PNG": ("PNG", ".png"),
    "GIF": ("PNG", ".png"),
    "WEBP": ("WEBP", ".webp"),
}
SAVE_OPTIONS = {"JPEG": {"quality": 85}, "PNG": {}, "WEBP": {"quality": 85}}
# What Pillow raises on malformed input; Image.open itself reads SyntaxError, IndexError, TypeError and
# struct.error as "not this format", and decoders raise OSError, ValueError or EOFError.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)


class ImageRejected(Exception):
    """An upload that is not accepted as a contact image; str() is the message to show."""


@dataclass(frozen=True)
class ProcessedImage:
    image: ContentFile
    thumbnail: ContentFile
    extension: str


def image_process(upload: UploadedFile) -> ProcessedImage:
    """Return the upload re-encoded without metadata, at most 1024 px on its long edge, and a square thumbnail."""
    if upload.size == 0:
        raise ImageRejected(EMPTY_MESSAGE)
    if (upload.size or 0) > MAX_IMAGE_BYTES:
        raise ImageRejected(SIZE_MESSAGE)
    upload.seek(0)
    # One byte past the limit is enough to notice a declared size that was wrong.
    data = upload.read(MAX_IMAGE_BYTES + 1)
    if not data:
        raise ImageRejected(EMPTY_MESSAGE)
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejected(SIZE_MESSAGE)
    source_format = _sniff(data[:SNIFF_BYTES])
    if source_format is None:
        raise ImageRejected(TYPE_MESSAGE)
    output_format, extension = OUTPUT_FORMATS[source_format]

    picture = _flatten(_decode(data, source_format), output_format)
    picture.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    thumbnail = ImageOps.fit(picture, THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    return ProcessedImage(
        image=ContentFile(_encode(picture, output_format), name=f"image{extension}"),
        thumbnail=ContentFile(_encode(thumbnail, output_format), name=f"thumbnail{extension}"),
        extension=extension,
    )


def _sniff(head: bytes) -> str | None:
    """Return the Pillow format the leading bytes announce, or None when it is not an allowed one."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _decode(data: bytes, source_format: str) -> Image.Image:
    """Return the first frame fully decoded and turned upright, refusing bombs and broken files."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its two bomb limits; a file it warns about is refused as well.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data), formats=[source_format])
            width, height = picture.size
            if width * height > MAX_PIXELS:
                raise ImageRejected(PIXELS_MESSAGE)
            picture.load()
            return ImageOps.exif_transpose(picture)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ImageRejected(PIXELS_MESSAGE) from error
    except DECODE_ERRORS as error:
        raise ImageRejected(DAMAGED_MESSAGE) from error


def _flatten(picture: Image.Image, output_format: str) -> Image.Image:
    """Return the picture in the mode the output format is written in: RGB, or RGBA where it is transparent."""
    if output_format == "JPEG":
        return picture.convert("RGB")
    transparent = "A" in picture.getbands() or "transparency" in picture.info
    return picture.convert("RGBA" if transparent else "RGB")


def _encode(picture: Image.Image, output_format: str) -> bytes:
    """Return the picture written in the output format, carrying no metadata."""
    # Encoders copy ICC profiles, comments and transparency from info unless told otherwise.
    picture.info = {}
    buffer = io.BytesIO()
    picture.save(buffer, format=output_format, **SAVE_OPTIONS[output_format])
    return buffer.getvalue()


class ContactImageField(forms.FileField):
    """An optional image upload whose cleaned value is a ProcessedImage."""

    def __init__(self, *, required=False, label="Contact image", help_text=HELP_TEXT, **kwargs):
        kwargs.setdefault("widget", forms.FileInput(attrs={"accept": ACCEPT}))
        # An empty file gets image_process's message rather than Django's generic one.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(required=required, label=label, help_text=help_text, **kwargs)

    def clean(self, data, initial=None):
        """Return a ProcessedImage for a new upload; None keeps the stored image and False clears it."""
        value = super().clean(data, initial)
        if not isinstance(value, UploadedFile):
            # FileField hands back the stored file when nothing new was sent; that means "no change".
            return value if value is False else None
        try:
            return image_process(value)
        except ImageRejected as error:
            raise forms.ValidationError(str(error), code="invalid_image") from error
