"""Contact images: what is refused before decoding, what is refused after, and what a stored image keeps."""

import io
import struct
import zipfile
import zlib
from unittest import mock

import pytest
from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

from customers.images import (
    DAMAGED_MESSAGE,
    EMPTY_MESSAGE,
    MAX_IMAGE_BYTES,
    PIXELS_MESSAGE,
    SIZE_MESSAGE,
    TYPE_MESSAGE,
    ContactImageField,
    ImageRejected,
    ProcessedImage,
    image_process,
)

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
METADATA_KEYS = ("exif", "icc_profile", "xmp", "comment")


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def encoded(picture: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def photo(size=(300, 200)) -> Image.Image:
    """Build a picture with detail in it, so encoders cannot shrink it to nothing."""
    bands = [
        Image.effect_noise(size, 60),
        Image.linear_gradient("L").resize(size),
        Image.radial_gradient("L").resize(size),
    ]
    return Image.merge("RGB", bands)


def content(file: ContentFile) -> bytes:
    file.seek(0)
    return file.read()


def opened(file: ContentFile) -> Image.Image:
    return Image.open(io.BytesIO(content(file)))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int) -> bytes:
    """Build a valid 1-bit black PNG of the given size; its zeros compress to a few kilobytes."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = bytes(1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return PNG_SIGNATURE + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b"")


def gif_declaring(width: int, height: int) -> bytes:
    """Build a small GIF whose logical screen claims the given size."""
    data = bytearray(encoded(Image.new("P", (8, 8)), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def jpeg_declaring(width: int, height: int) -> bytes:
    """Build a small JPEG whose frame header claims the given size."""
    data = bytearray(encoded(Image.new("RGB", (8, 8)), "JPEG"))
    frame = data.index(b"\xff\xc0")
    # Marker (2), segment length (2) and sample precision (1) come before height and width.
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize(
    ("source_format", "written_format", "extension"),
    [("JPEG", "JPEG", ".jpg"), ("PNG", "PNG", ".png"), ("GIF", "PNG", ".png"), ("WEBP", "WEBP", ".webp")],
)
def test_an_allowed_image_is_re_encoded_in_its_format_with_a_160_px_square_thumbnail(
    source_format, written_format, extension
):
    result = image_process(upload(encoded(photo(), source_format)))

    assert isinstance(result, ProcessedImage)
    assert result.extension == extension
    assert (result.image.name, result.thumbnail.name) == (f"image{extension}", f"thumbnail{extension}")
    assert opened(result.image).format == written_format
    assert opened(result.image).size == (300, 200)
    assert opened(result.thumbnail).format == written_format
    assert opened(result.thumbnail).size == (160, 160)


def test_a_jpeg_is_written_as_rgb_even_when_uploaded_as_cmyk():
    result = image_process(upload(encoded(photo().convert("CMYK"), "JPEG")))

    assert opened(result.image).mode == "RGB"


def test_a_transparent_png_keeps_its_transparency():
    picture = Image.new("RGBA", (40, 40), (255, 0, 0, 255))
    picture.putpixel((0, 0), (0, 0, 0, 0))

    result = image_process(upload(encoded(picture, "PNG")))

    assert opened(result.image).getpixel((0, 0))[3] == 0
    assert opened(result.image).getpixel((20, 20)) == (255, 0, 0, 255)


def test_an_animated_gif_keeps_only_its_first_frame_as_a_png():
    frames = [Image.new("RGB", (40, 40), colour) for colour in ("red", "blue")]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(data)).n_frames == 2

    stored = opened(image_process(upload(data)).image)

    assert stored.format == "PNG"
    assert getattr(stored, "n_frames", 1) == 1
    assert stored.convert("RGB").getpixel((20, 20)) == (255, 0, 0)


def leaky_metadata() -> tuple[bytes, bytes, bytes]:
    """Return EXIF with GPS coordinates, an ICC profile and XMP, each carrying a marker to look for."""
    exif = Image.Exif()
    exif[MAKE] = "LeakyCam"
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description about="secret-xmp"/></x:xmpmeta>'
    return exif.tobytes(), icc, xmp


def with_leaky_metadata(image_format: str) -> bytes:
    exif, icc, xmp = leaky_metadata()
    if image_format == "JPEG":
        return encoded(photo(), "JPEG", exif=exif, icc_profile=icc, xmp=xmp, comment=b"secret-comment")
    if image_format == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "secret-comment")
        text.add_itxt("XML:com.adobe.xmp", xmp.decode())
        return encoded(photo(), "PNG", exif=exif, icc_profile=icc, pnginfo=text)
    return encoded(photo(), "WEBP", exif=exif, icc_profile=icc, xmp=xmp)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_exif_with_gps_xmp_icc_and_comments_are_stripped(image_format):
    data = with_leaky_metadata(image_format)
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(GPS_IFD), "the crafted upload must carry GPS data"
    assert {"exif", "icc_profile", "xmp"} <= source.info.keys()

    result = image_process(upload(data))

    for file in (result.image, result.thumbnail):
        stored = opened(file)
        assert not stored.getexif()
        assert not stored.getexif().get_ifd(GPS_IFD)
        assert not set(METADATA_KEYS) & stored.info.keys()
        assert not getattr(stored, "text", {})
        for marker in (b"LeakyCam", b"secret-xmp", b"secret-comment", leaky_metadata()[1]):
            assert marker not in content(file)


def test_a_gif_comment_is_not_carried_into_the_stored_png():
    data = encoded(photo().convert("P"), "GIF", comment=b"secret-comment")
    assert Image.open(io.BytesIO(data)).info["comment"] == b"secret-comment"

    result = image_process(upload(data))

    assert "comment" not in opened(result.image).info
    assert b"secret-comment" not in content(result.image)


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert('zip')</script>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("image_format", "payload", "stored_end"),
    [
        ("PNG", b"<html><script>alert('png')</script></html>", b"IEND\xaeB`\x82"),
        ("GIF", b"\n/*\x00*/=alert('gif');//", b"IEND\xaeB`\x82"),
        ("JPEG", zip_archive(), b"\xff\xd9"),
    ],
    ids=["png-html", "gif-js", "jpeg-zip"],
)
def test_a_polyglot_is_re_encoded_without_its_trailing_payload(image_format, payload, stored_end):
    result = image_process(upload(encoded(photo(), image_format) + payload))

    for file in (result.image, result.thumbnail):
        stored = content(file)
        assert payload not in stored
        assert stored.endswith(stored_end)
        assert not zipfile.is_zipfile(io.BytesIO(stored))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(png_declaring(8_000, 6_000), id="png-48-megapixels-over-our-limit"),
        pytest.param(png_declaring(10_000, 10_000), id="png-100-megapixels-pillow-warns"),
        pytest.param(png_declaring(20_000, 20_000), id="png-400-megapixels-pillow-refuses"),
        pytest.param(gif_declaring(65_535, 65_535), id="gif-4-gigapixels"),
        pytest.param(jpeg_declaring(65_000, 65_000), id="jpeg-4-gigapixels"),
    ],
)
def test_a_decompression_bomb_is_refused_without_decoding_its_pixels(data):
    assert len(data) < 100_000
    pillow_limit = Image.MAX_IMAGE_PIXELS

    # A replaced load() allocates nothing, so a failing test cannot exhaust memory either.
    with mock.patch.object(ImageFile.ImageFile, "load", autospec=True) as load, pytest.raises(ImageRejected) as error:
        image_process(upload(data))

    assert str(error.value) == PIXELS_MESSAGE
    load.assert_not_called()
    assert pillow_limit == Image.MAX_IMAGE_PIXELS


def test_an_image_just_under_the_pixel_limit_is_accepted():
    result = image_process(upload(png_declaring(8_000, 5_000)))

    assert opened(result.image).size == (1024, 640)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n", id="eps"),
        pytest.param(b"\xc5\xd0\xd3\xc6" + bytes(28) + b"%!PS-Adobe-3.0 EPSF-3.0\n", id="binary-eps"),
        pytest.param(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", id="pdf"),
        pytest.param(encoded(Image.new("RGB", (10, 10)), "TIFF"), id="tiff"),
        pytest.param(
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            id="svg",
        ),
        pytest.param(b"SIMPLE  =                    T".ljust(2880, b" "), id="fits"),
        pytest.param(b"<!DOCTYPE html><html><script>alert(1)</script></html>", id="html"),
        pytest.param(encoded(Image.new("RGB", (10, 10)), "BMP"), id="bmp"),
        pytest.param(encoded(Image.new("RGB", (10, 10)), "ICO"), id="ico"),
    ],
)
def test_a_file_that_is_not_jpeg_png_gif_or_webp_is_refused_before_decoding(data):
    with mock.patch("PIL.Image.open", wraps=Image.open) as image_open, pytest.raises(ImageRejected) as error:
        image_process(upload(data, name="photo.jpg"))

    assert str(error.value) == TYPE_MESSAGE
    image_open.assert_not_called()


def test_a_file_over_5_mb_is_refused_before_it_is_read():
    oversized = upload(bytes(MAX_IMAGE_BYTES + 1))
    oversized.file = mock.Mock(wraps=oversized.file)

    with pytest.raises(ImageRejected, match=SIZE_MESSAGE):
        image_process(oversized)

    oversized.file.read.assert_not_called()


def test_a_file_over_5_mb_is_refused_even_when_its_declared_size_is_wrong():
    oversized = upload(encoded(photo(), "PNG") + bytes(MAX_IMAGE_BYTES))
    oversized.size = 10

    with pytest.raises(ImageRejected, match=SIZE_MESSAGE):
        image_process(oversized)


def test_a_file_of_exactly_5_mb_is_not_refused_for_its_size():
    data = encoded(photo(), "PNG")

    result = image_process(upload(data + bytes(MAX_IMAGE_BYTES - len(data))))

    assert result.extension == ".png"


def test_an_empty_file_is_refused():
    with pytest.raises(ImageRejected, match=EMPTY_MESSAGE):
        image_process(upload(b""))


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_a_truncated_image_is_refused_as_damaged(image_format):
    data = encoded(photo((400, 400)), image_format)

    with pytest.raises(ImageRejected, match=DAMAGED_MESSAGE):
        image_process(upload(data[: len(data) // 2]))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(PNG_SIGNATURE + b"not a png at all", id="png-signature-then-junk"),
        pytest.param(b"\xff\xd8\xff" + bytes(64), id="jpeg-marker-then-zeros"),
        pytest.param(b"GIF89a", id="gif-header-only"),
        pytest.param(b"RIFF\x00\x00\x00\x00WEBPVP8 ", id="webp-header-only"),
    ],
)
def test_a_file_that_only_starts_like_an_image_is_refused_as_damaged(data):
    with pytest.raises(ImageRejected, match=DAMAGED_MESSAGE):
        image_process(upload(data))


def test_exif_orientation_is_applied_before_resizing_and_then_dropped():
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    data = encoded(Image.new("RGB", (20, 10), "white"), "JPEG", exif=exif.tobytes())

    result = image_process(upload(data))

    stored = opened(result.image)
    assert stored.size == (10, 20)
    assert ORIENTATION not in stored.getexif()
    assert opened(result.thumbnail).size == (160, 160)


@pytest.mark.parametrize(
    ("size", "stored_size"),
    [((3000, 2000), (1024, 683)), ((2000, 3000), (683, 1024)), ((200, 100), (200, 100))],
    ids=["landscape", "portrait", "small-is-not-enlarged"],
)
def test_the_stored_image_is_at_most_1024_px_on_its_long_edge(size, stored_size):
    result = image_process(upload(encoded(Image.new("RGB", size, "teal"), "JPEG")))

    assert opened(result.image).size == stored_size


@pytest.mark.parametrize("name", ["../../x.jpg", "photo\x00.php.jpg", "a" * 296 + ".jpg"])
def test_the_uploaded_file_name_is_never_used(name):
    result = image_process(upload(encoded(photo(), "JPEG"), name=name))

    assert (result.image.name, result.thumbnail.name) == ("image.jpg", "thumbnail.jpg")


class ContactImageForm(forms.Form):
    image = ContactImageField()


def submit(file=None, initial=None) -> ContactImageForm:
    return ContactImageForm(data={}, files={"image": file} if file else {}, initial={"image": initial})


def test_the_field_is_an_optional_labelled_file_input_for_the_allowed_types():
    field = ContactImageField()

    assert not field.required
    assert field.label == "Contact image"
    assert field.help_text == "JPEG, PNG, GIF or WebP, up to 5 MB"
    assert type(field.widget) is forms.FileInput
    assert field.widget.attrs["accept"] == "image/jpeg,image/png,image/gif,image/webp"
    assert 'accept="image/jpeg,image/png,image/gif,image/webp"' in str(ContactImageForm()["image"])


def test_the_field_cleans_an_upload_to_a_processed_image():
    form = submit(upload(encoded(photo(), "PNG"), name="../../x.jpg"))

    assert form.is_valid(), form.errors
    assert isinstance(form.cleaned_data["image"], ProcessedImage)
    assert form.cleaned_data["image"].image.name == "image.png"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\n", TYPE_MESSAGE),
        (b"", EMPTY_MESSAGE),
        (bytes(MAX_IMAGE_BYTES + 1), SIZE_MESSAGE),
        (png_declaring(20_000, 20_000), PIXELS_MESSAGE),
        (PNG_SIGNATURE + b"junk", DAMAGED_MESSAGE),
    ],
    ids=["wrong-type", "empty", "too-big", "bomb", "damaged"],
)
def test_the_field_shows_why_a_file_was_refused(data, message):
    form = submit(upload(data))

    assert not form.is_valid()
    assert form.errors["image"] == [message]
    assert form.errors.get_json_data()["image"][0]["code"] == "invalid_image"


@pytest.mark.parametrize("initial", [None, "contacts/stored.jpg"], ids=["nothing-stored", "image-stored"])
def test_the_field_cleans_no_upload_to_none_meaning_no_change(initial):
    form = submit(initial=initial)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["image"] is None


def test_a_required_field_asks_for_a_file():
    field = ContactImageField(required=True)

    with pytest.raises(forms.ValidationError) as error:
        field.clean(None)

    assert error.value.code == "required"
