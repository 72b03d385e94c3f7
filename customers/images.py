"""Contact images: refuse anything but a small JPEG, PNG, GIF or WebP, and re-encode the rest without metadata."""

import io
import struct
import warnings
from dataclasses import dataclass

from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, PngImagePlugin

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_EDGE = 1024
THUMBNAIL_SIZE = (160, 160)
MEGAPIXEL = 1_000_000
# The most megapixels each format may have, so that one upload costs at most about 100 MB while it is
# processed (see README, "Contact images"). A JPEG is decoded at 1/2, 1/4 or 1/8 scale straight to near the
# stored size, so only its file is held whole: 25 lets a 24-megapixel phone photo (5712 × 4284) through.
# PNG and GIF have no such step and are held whole at up to 4 bytes a pixel; WebP at about 16, because
# Pillow's decoder keeps two full canvases and a copy of the frame besides the picture.
PIXEL_LIMITS = {"JPEG": 25, "PNG": 16, "GIF": 16, "WEBP": 5}
# A progressive JPEG, or one whose colours come in separate scans, is held by libjpeg as 2-byte coefficients
# for every sample of the whole picture, whatever the scale it is decoded at; this is the most they may take.
JPEG_COEFFICIENT_BYTES = 64 * 1024 * 1024
# Pillow keeps up to 64 MB of a PNG's decompressed text chunks; a contact image needs none of it.
PNG_TEXT_BYTES = 4 * PngImagePlugin.MAX_TEXT_CHUNK
# The side, in source pixels, of the pieces a big picture is converted and reduced in.
TILE_EDGE = 512
ACCEPT = "image/jpeg,image/png,image/gif,image/webp"
HELP_TEXT = (
    f"JPEG, PNG, GIF or WebP, up to 5 MB and {PIXEL_LIMITS['JPEG']} megapixels "
    f"({PIXEL_LIMITS['PNG']} for PNG and GIF, {PIXEL_LIMITS['WEBP']} for WebP)"
)

EMPTY_MESSAGE = "The file is empty"
SIZE_MESSAGE = "The image must be 5 MB or smaller"
TYPE_MESSAGE = "Choose a JPEG, PNG, GIF or WebP image"
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

# Lowered (never raised) for the whole process: nothing in this project reads a PNG's text.
PngImagePlugin.MAX_TEXT_MEMORY = min(PngImagePlugin.MAX_TEXT_MEMORY, PNG_TEXT_BYTES)


def _pixels_message(pixels: int | None, limit: int) -> str:
    """Return why a picture of this many pixels (None: more than Pillow opens) is refused, in megapixels."""
    if pixels is None:
        size = f"more than {Image.MAX_IMAGE_PIXELS // MEGAPIXEL}"
    else:
        # Rounded as people expect, but never down to the limit itself, which would read as allowed.
        size = f"{max(round(pixels / MEGAPIXEL, 1), limit + 0.1):.1f}"
    return f"This image is {size} megapixels; choose one of at most {limit} megapixels"


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

    picture, stored_size = _decode(data, source_format, output_format)
    picture = ImageOps.exif_transpose(picture.resize(stored_size, Image.Resampling.LANCZOS))
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


def _decode(data: bytes, source_format: str, output_format: str) -> tuple[Image.Image, tuple[int, int]]:
    """Return the first frame reduced near its stored size in the output mode, and that size; refuse bad files."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its two bomb limits; a file it warns about is refused as well.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data), formats=[source_format])
            limit = _pixel_limit(picture, data, source_format)
            if picture.width * picture.height > limit * MEGAPIXEL:
                raise ImageRejected(_pixels_message(picture.width * picture.height, limit))
            stored_size = _stored_size(*picture.size)
            if source_format == "JPEG":
                picture.draft(None, stored_size)
            picture.load()
            return _reduce(picture, _output_mode(picture, output_format), stored_size), stored_size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ImageRejected(_pixels_message(None, PIXEL_LIMITS[source_format])) from error
    except DECODE_ERRORS as error:
        raise ImageRejected(DAMAGED_MESSAGE) from error


def _pixel_limit(picture: Image.Image, data: bytes, source_format: str) -> int:
    """Return the most megapixels this picture may have: its format's limit, lower for a JPEG decoded whole."""
    limit = PIXEL_LIMITS[source_format]
    if source_format != "JPEG" or not _jpeg_decoded_whole(picture, data):
        return limit
    # Each component is held at its share of full resolution: its sampling factors over the largest ones.
    # Pillow's layer is (id, horizontal, vertical, table); a factor of 0, which libjpeg refuses, counts as 1.
    sampling = [(max(1, layer[1]), max(1, layer[2])) for layer in picture.layer] or [(1, 1)]
    widest = max(horizontal for horizontal, _vertical in sampling)
    tallest = max(vertical for _horizontal, vertical in sampling)
    samples = sum(horizontal * vertical for horizontal, vertical in sampling) / (widest * tallest)
    return min(limit, int(JPEG_COEFFICIENT_BYTES / (2 * samples) // MEGAPIXEL))


def _jpeg_decoded_whole(picture: Image.Image, data: bytes) -> bool:
    """Whether libjpeg must hold all of this JPEG at once: progressive, or its first scan lacks some colours."""
    if picture.info.get("progressive"):
        return True
    position = 2
    # Walk the marker segments after SOI to the first scan; anything unexpected counts as the costly case.
    while position + 4 < len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
        elif marker == 0xDA:
            return data[position + 4] < picture.layers
        else:
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return True


def _stored_size(width: int, height: int) -> tuple[int, int]:
    """Return the size a picture is stored at: its own, or scaled down to MAX_EDGE on its long edge."""
    scale = MAX_EDGE / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def _output_mode(picture: Image.Image, output_format: str) -> str:
    """Return the mode the output format is written in: RGB, or RGBA where the picture is transparent."""
    if output_format == "JPEG":
        return "RGB"
    transparent = "A" in picture.getbands() or "transparency" in picture.info
    return "RGBA" if transparent else "RGB"


def _reduce(picture: Image.Image, mode: str, stored_size: tuple[int, int]) -> Image.Image:
    """Return the picture in mode, averaged down to no smaller than stored_size, converting a tile at a time."""
    width, height = picture.size
    factor = max(1, min(width // stored_size[0], height // stored_size[1]))
    reduced = Image.new(mode, (-(-width // factor), -(-height // factor)))
    # Whole blocks of factor × factor pixels per tile, so the tiles average exactly as one reduce() would;
    # converting tiles, not the picture, means no second full-size copy is ever made.
    step = -(-TILE_EDGE // factor) * factor
    for top in range(0, height, step):
        for left in range(0, width, step):
            tile = picture.crop((left, top, min(left + step, width), min(top + step, height)))
            reduced.paste(_converted(tile, mode).reduce(factor), (left // factor, top // factor))
    # Derived images carry their source's info in Pillow; exif_transpose reads the orientation from it.
    reduced.info = picture.info.copy()
    return reduced


def _converted(picture: Image.Image, mode: str) -> Image.Image:
    """Return the picture in mode; 16-bit grey is scaled to 8 bits first, which convert() would clip to white."""
    if picture.mode == "I;16":
        picture = picture.convert("I").point(lambda value: value / 256)
        if "transparency" in picture.info:
            # The transparent grey goes with it: the 8-bit shade it falls in is transparent.
            picture.info["transparency"] //= 256
    return picture.convert(mode)


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
