"""Contact images: what is refused before decoding, what is refused after, and what a stored image keeps."""

import io
import re
import struct
import zipfile
from unittest import mock

import pytest
from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageChops, ImageCms, ImageFile, PngImagePlugin

from customers.images import (
    DAMAGED_MESSAGE,
    EMPTY_MESSAGE,
    MAX_IMAGE_BYTES,
    SIZE_MESSAGE,
    TYPE_MESSAGE,
    ContactImageField,
    ImageRejected,
    ProcessedImage,
    image_process,
)
from tests.images import PNG_SIGNATURE, encoded, gif_declaring, png_declaring, png_text

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F
METADATA_KEYS = ("exif", "icc_profile", "xmp", "comment")


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


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


def jpeg_declaring(width: int, height: int, mode: str = "RGB", **options) -> bytes:
    """Build a small JPEG (baseline, or progressive with progressive=True) whose frame header claims the size."""
    data = bytearray(encoded(Image.new(mode, (8, 8)), "JPEG", **options))
    frame = re.search(b"\xff[\xc0\xc2]", data).start()
    # Marker (2), segment length (2) and sample precision (1) come before height and width.
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_declaring(width: int, height: int) -> bytes:
    """Build a small lossless WebP whose header claims the given size."""
    data = bytearray(encoded(Image.new("RGB", (8, 8)), "WEBP", lossless=True))
    # After RIFF, WEBP, VP8L, the chunk size and the 0x2f signature: 14 bits each of width-1 and height-1.
    header = int.from_bytes(data[21:25], "little") & ~0xFFFFFFF
    data[21:25] = (header | (width - 1) | (height - 1) << 14).to_bytes(4, "little")
    return bytes(data)


def jpeg_in_separate_scans(width: int, height: int) -> bytes:
    """Build a small baseline JPEG claiming the size whose first scan carries only its first colour component,
    as a file with one scan per colour does; libjpeg then holds the whole image, as for a progressive one."""
    data = bytearray(jpeg_declaring(width, height))
    scan = data.index(b"\xff\xda")
    # Length (2), component count (1), a (component, tables) pair per component, then three bytes.
    del data[scan + 7 : scan + 11]
    data[scan + 2 : scan + 5] = struct.pack(">HB", 8, 1)
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


def test_a_16_bit_grey_png_is_scaled_to_8_bits_rather_than_clipped_to_white():
    data = encoded(Image.new("I;16", (40, 40), 32_768), "PNG")
    assert Image.open(io.BytesIO(data)).mode == "I;16"

    stored = opened(image_process(upload(data)).image)

    assert stored.mode == "RGB"
    assert stored.getpixel((20, 20)) == (128, 128, 128)


def test_a_16_bit_grey_png_keeps_its_transparent_grey():
    picture = Image.new("I;16", (40, 40), 0)
    picture.putpixel((0, 0), 40_000)
    data = encoded(picture, "PNG", transparency=40_000)

    stored = opened(image_process(upload(data)).image)

    assert stored.getpixel((0, 0))[3] == 0
    assert stored.getpixel((20, 20)) == (0, 0, 0, 255)


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


def at_most(limit: int) -> str:
    return f"choose one of at most {limit} megapixels"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            png_declaring(7_700, 5_143), f"This image is 39.6 megapixels; {at_most(16)}", id="png-39.6-megapixels"
        ),
        pytest.param(
            png_declaring(8_000, 6_000), f"This image is 48.0 megapixels; {at_most(16)}", id="png-48-megapixels"
        ),
        pytest.param(
            png_declaring(4_000, 4_001), f"This image is 16.1 megapixels; {at_most(16)}", id="png-just-over-16"
        ),
        pytest.param(
            png_declaring(10_000, 10_000),
            f"This image is more than 89 megapixels; {at_most(16)}",
            id="png-100-megapixels-pillow-warns",
        ),
        pytest.param(
            png_declaring(20_000, 20_000),
            f"This image is more than 89 megapixels; {at_most(16)}",
            id="png-400-megapixels-pillow-refuses",
        ),
        pytest.param(
            gif_declaring(4_000, 5_000), f"This image is 20.0 megapixels; {at_most(16)}", id="gif-20-megapixels"
        ),
        pytest.param(
            gif_declaring(65_535, 65_535),
            f"This image is more than 89 megapixels; {at_most(16)}",
            id="gif-4-gigapixels",
        ),
        pytest.param(
            webp_declaring(3_000, 2_000), f"This image is 6.0 megapixels; {at_most(5)}", id="webp-6-megapixels"
        ),
        pytest.param(
            jpeg_declaring(5_000, 5_001), f"This image is 25.1 megapixels; {at_most(25)}", id="jpeg-just-over-25"
        ),
        pytest.param(
            jpeg_declaring(65_000, 65_000),
            f"This image is more than 89 megapixels; {at_most(25)}",
            id="jpeg-4-gigapixels",
        ),
        pytest.param(
            jpeg_declaring(5_000, 4_600, progressive=True),
            f"This image is 23.0 megapixels; {at_most(22)}",
            id="progressive-jpeg-23-megapixels",
        ),
        pytest.param(
            jpeg_declaring(4_000, 3_000, progressive=True, subsampling=0),
            f"This image is 12.0 megapixels; {at_most(11)}",
            id="progressive-jpeg-full-colour-12-megapixels",
        ),
        pytest.param(
            jpeg_declaring(3_000, 3_000, "CMYK", progressive=True),
            f"This image is 9.0 megapixels; {at_most(8)}",
            id="progressive-cmyk-jpeg-9-megapixels",
        ),
        pytest.param(
            jpeg_in_separate_scans(5_000, 4_600),
            f"This image is 23.0 megapixels; {at_most(22)}",
            id="jpeg-in-separate-scans-23-megapixels",
        ),
    ],
)
def test_a_decompression_bomb_is_refused_without_decoding_its_pixels(data, message):
    assert len(data) < 100_000
    pillow_limit = Image.MAX_IMAGE_PIXELS

    # A replaced load() allocates nothing, so a failing test cannot exhaust memory either.
    with mock.patch.object(ImageFile.ImageFile, "load", autospec=True) as load, pytest.raises(ImageRejected) as error:
        image_process(upload(data))

    assert str(error.value) == message
    load.assert_not_called()
    assert pillow_limit == Image.MAX_IMAGE_PIXELS


def test_an_image_at_the_pixel_limit_is_accepted():
    result = image_process(upload(png_declaring(5_000, 3_200)))

    assert opened(result.image).size == (1024, 655)


def test_a_24_megapixel_phone_photo_is_accepted():
    result = image_process(upload(encoded(Image.new("RGB", (5_712, 4_284), "teal"), "JPEG")))

    assert opened(result.image).size == (1024, 768)
    assert opened(result.thumbnail).size == (160, 160)


def test_a_png_carrying_more_than_4_mb_of_text_is_refused():
    data = png_declaring(8, 8, chunks=png_text(5, 1024 * 1024 - 1024))
    assert len(data) < 100_000

    with pytest.raises(ImageRejected, match=DAMAGED_MESSAGE):
        image_process(upload(data))


def test_a_big_picture_reduced_a_tile_at_a_time_matches_one_resized_whole():
    """No seams, shifted tiles or dark fringes from transparent pixels: as Pillow's own resize would give."""
    size = (3_000, 2_000)
    alpha = Image.linear_gradient("L").rotate(90).resize(size)
    source = Image.merge("RGBA", [*photo(size).split()[1:], Image.radial_gradient("L").resize(size), alpha])

    stored = opened(image_process(upload(encoded(source, "PNG"))).image)

    expected = source.resize((1024, 683), Image.Resampling.LANCZOS)
    assert stored.size == expected.size
    # Compared premultiplied: the colour of an all but transparent pixel is noise in both.
    difference = ImageChops.difference(stored.convert("RGBa"), expected.convert("RGBa"))
    assert max(high for _low, high in difference.getextrema()) <= 3


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


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_exif_orientation_survives_decoding_at_reduced_scale(image_format):
    """A picture over twice the stored size is decoded smaller (JPEG) or reduced in tiles, then turned."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    data = encoded(Image.new("RGB", (2400, 1600), "teal"), image_format, exif=exif.tobytes())

    stored = opened(image_process(upload(data)).image)

    assert stored.size == (683, 1024)
    assert ORIENTATION not in stored.getexif()


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
    assert field.help_text == "JPEG, PNG, GIF or WebP, up to 5 MB and 25 megapixels (16 for PNG and GIF, 5 for WebP)"
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
        (png_declaring(20_000, 20_000), "This image is more than 89 megapixels; choose one of at most 16 megapixels"),
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
