"""Image files built in memory, for tests that upload a contact image or measure what processing one costs."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG colour type → samples per pixel: grey, RGB, palette, grey with alpha, RGBA.
PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7's seven passes: first column, first row, column step, row step.
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png_upload(name: str = "photo.png", size: tuple[int, int] = (300, 200), colour: str = "teal") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def png_bytes(**kwargs) -> bytes:
    return png_upload(**kwargs).read()


def encoded(picture: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(
    width: int,
    height: int,
    *,
    colour_type: int = 0,
    bit_depth: int = 1,
    chunks: bytes = b"",
    interlaced: bool = False,
) -> bytes:
    """Build a valid all-black PNG of the given size and kind (1-bit grey by default); zeros compress a
    thousandfold, so a few kilobytes declare megapixels. chunks go before the pixels (PLTE, tRNS, text)."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, int(interlaced))
    passes = ADAM7 if interlaced else [(0, 0, 1, 1)]
    compressor = zlib.compressobj(9)
    pixels = []
    for left, top, column_step, row_step in passes:
        columns, rows = -(-(width - left) // column_step), -(-(height - top) // row_step)
        # A filter-type byte, then the row's samples packed to whole bytes; empty passes have no rows.
        row = bytes(1 + (columns * PNG_SAMPLES[colour_type] * bit_depth + 7) // 8) if columns > 0 else b""
        pixels.extend(compressor.compress(row) for _ in range(rows if row else 0))
    pixels.append(compressor.flush())
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + chunks
        + png_chunk(b"IDAT", b"".join(pixels))
        + png_chunk(b"IEND", b"")
    )


def png_palette(*, transparent: bool) -> bytes:
    """Return the PLTE chunk a palette PNG needs, and a tRNS chunk making its first colour transparent."""
    return png_chunk(b"PLTE", bytes(3 * 256)) + (png_chunk(b"tRNS", b"\x00") if transparent else b"")


def png_text(count: int, size: int) -> bytes:
    """Return count compressed text chunks (zTXt) that each unpack to size bytes."""
    text = zlib.compress(b"x" * size, 9)
    return b"".join(png_chunk(b"zTXt", f"Comment{number}".encode() + b"\x00\x00" + text) for number in range(count))


def gif_declaring(width: int, height: int, *, frames: int = 1) -> bytes:
    """Build a GIF of 8 × 8 frames whose logical screen claims the given size; Pillow decodes the first frame
    onto a canvas that big."""
    first, *rest = (Image.new("P", (8, 8), number) for number in range(frames))
    data = bytearray(encoded(first, "GIF", save_all=True, append_images=rest))
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def webp_animated(size: tuple[int, int]) -> bytes:
    """Build a two-frame RGBA WebP whose second frame differs in one pixel, so it costs little to encode."""
    first = Image.new("RGBA", size)
    second = first.copy()
    second.putpixel((0, 0), (255, 255, 255, 255))
    return encoded(first, "WEBP", save_all=True, append_images=[second], lossless=True, method=0)
