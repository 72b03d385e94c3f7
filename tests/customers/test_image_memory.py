"""One contact image upload costs at most about 100 MB of memory, whatever its format and mode.

Each case is the worst of its kind at its format's limit (or over it), built here and written to a file.
One subprocess imports Django and Pillow and processes a small image of every format, so that plugins and
codecs are loaded; then, for each file, it forks a child that reads the upload, runs image_process and
reports how far its peak resident set size rose above what it started with. A process per upload, because
a peak only ever grows; forked from a warmed-up one, so that the cases take seconds rather than a minute.

The peak is the child's own VmHWM, not ru_maxrss: a process started by vfork (as subprocess does) inherits
its parent's ru_maxrss, so pytest's own peak (building a 25-megapixel JPEG here takes 100 MB) would hide
the upload's. The figures, before and after the limits, are in the README ("Contact images"): 16–77 MB
now for what took 77–326 MB.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.images import encoded, gif_declaring, png_declaring, png_palette, png_text, webp_animated

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="the peak is read from Linux's /proc")
ROOT = Path(__file__).resolve().parents[2]
GROWTH_BOUND_MB = 100
# PNG colour types (8-bit RGBA, grey, palette) and Pillow's JPEG subsampling option (4:4:4, 4:2:0).
RGBA, GREY, PALETTE = 6, 0, 3
FULL_COLOUR, QUARTER_COLOUR = 0, 2

MEASURE = """
import json, os, sys
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from customers.images import ImageRejected, image_process
from tests.images import encoded


def peak_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


for image_format in ("JPEG", "PNG", "GIF", "WEBP"):
    image_process(SimpleUploadedFile("warm-up", encoded(Image.new("RGB", (64, 64)), image_format)))
for path in sys.argv[1:]:
    child = os.fork()
    if child == 0:
        # A forked child's peak starts at its size when forked: the warmed-up baseline.
        baseline = peak_mb()
        with open(path, "rb") as file:
            upload = SimpleUploadedFile("upload", file.read())
        try:
            outcome = list(Image.open(image_process(upload).image).size)
        except ImageRejected as error:
            outcome = str(error)
        print(json.dumps({"path": path, "growth_mb": round(peak_mb() - baseline, 1), "outcome": outcome}), flush=True)
        os._exit(0)
    os.waitpid(child, 0)
"""

CASES = {
    "png-rgba-16-megapixels": (lambda: png_declaring(4000, 4000, colour_type=RGBA, bit_depth=8), [1024, 1024]),
    "png-rgba-interlaced-16-megapixels": (
        lambda: png_declaring(4000, 4000, colour_type=RGBA, bit_depth=8, interlaced=True),
        [1024, 1024],
    ),
    "png-rgba-16-megapixels-65535-wide": (lambda: png_declaring(65535, 244, colour_type=RGBA, bit_depth=8), [1024, 4]),
    "png-16-bit-grey-16-megapixels": (lambda: png_declaring(4000, 4000, colour_type=GREY, bit_depth=16), [1024, 1024]),
    "png-palette-transparent-16-megapixels": (
        lambda: png_declaring(4000, 4000, colour_type=PALETTE, bit_depth=8, chunks=png_palette(transparent=True)),
        [1024, 1024],
    ),
    "png-rgba-16-megapixels-with-4-mb-of-text": (
        lambda: png_declaring(4000, 4000, colour_type=RGBA, bit_depth=8, chunks=png_text(4, 1024 * 1024 - 1024)),
        [1024, 1024],
    ),
    "gif-animated-16-megapixels": (lambda: gif_declaring(4000, 4000, frames=2), [1024, 1024]),
    "webp-animated-rgba-5-megapixels": (lambda: webp_animated((2500, 2000)), [1024, 819]),
    "jpeg-25-megapixels": (lambda: encoded(Image.new("RGB", (6250, 4000)), "JPEG"), [1024, 655]),
    "jpeg-cmyk-25-megapixels": (lambda: encoded(Image.new("CMYK", (6250, 4000)), "JPEG"), [1024, 655]),
    "jpeg-progressive-22-megapixels": (
        lambda: encoded(Image.new("RGB", (5500, 4000)), "JPEG", progressive=True, subsampling=QUARTER_COLOUR),
        [1024, 745],
    ),
    "jpeg-progressive-full-colour-11-megapixels": (
        lambda: encoded(Image.new("RGB", (4000, 2750)), "JPEG", progressive=True, subsampling=FULL_COLOUR),
        [1024, 704],
    ),
    "jpeg-progressive-cmyk-8-megapixels": (
        lambda: encoded(Image.new("CMYK", (4000, 2000)), "JPEG", progressive=True),
        [1024, 512],
    ),
    "png-rgba-16-megapixels-with-64-mb-of-text-refused": (
        lambda: png_declaring(4000, 4000, colour_type=RGBA, bit_depth=8, chunks=png_text(64, 1024 * 1024 - 1024)),
        "The image file is damaged or incomplete",
    ),
    "png-rgba-39.6-megapixels-refused": (
        lambda: png_declaring(7700, 5143, colour_type=RGBA, bit_depth=8),
        "This image is 39.6 megapixels; choose one of at most 16 megapixels",
    ),
}


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("image-memory")
    for name, (build, _outcome) in CASES.items():
        (folder / name).write_bytes(build())
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *(str(folder / name) for name in CASES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = {Path(result["path"]).name: result for result in map(json.loads, done.stdout.splitlines())}
    assert results.keys() == CASES.keys(), done.stderr[-3000:]
    return results


@pytest.mark.parametrize("case", CASES)
def test_one_upload_at_its_formats_limit_costs_at_most_100_mb(case, measured):
    assert measured[case]["outcome"] == CASES[case][1]
    assert measured[case]["growth_mb"] <= GROWTH_BOUND_MB, measured[case]
