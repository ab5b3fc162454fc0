"""Real photo files for the tests: JPEG, PNG and HEIC bytes made with Pillow (and
pillow-heif), each page told apart by its size so a test can read their order back."""

import io

from PIL import Image

EXIF_ORIENTATION = 0x0112
TURNED_RIGHT = 6  # the camera was held turned: show the photo turned 90° clockwise


def jpeg(
    width=120, height=160, colour="white", orientation=None, noise=False, quality=90, page=None
):
    image = _image(width, height, colour, noise)
    if page is not None and orientation == TURNED_RIGHT:
        # Taken with the phone turned: the page lies on its side in the pixels, upright as
        # the EXIF orientation shows it.
        image = _image(height, width, colour, noise)
        _write_page(image, page)
        image = image.rotate(90, expand=True)
    elif page is not None:
        _write_page(image, page)
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[EXIF_ORIENTATION] = orientation
    image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def png(width=120, height=160, colour="white", transparent=False):
    image = _image(width, height, colour, False)
    if transparent:
        image = image.convert("RGBA")
        image.putalpha(128)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def heic(width=120, height=160):
    import pillow_heif

    out = io.BytesIO()
    pillow_heif.from_pillow(_image(width, height, "white", False)).save(out, quality=80)
    return out.getvalue()


def _write_page(image, number):
    """A sheet of ruled paper with lines of "handwriting" and its page number, so that a
    person looking at a screenshot can tell the pages apart."""
    import random

    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    width, height = image.size
    rows = range(height // 10, height - 10, max(height // 16, 8))
    for y in rows:
        draw.line([(8, y), (width - 8, y)], fill=(170, 190, 230), width=1)
    scribble = random.Random(number)
    for y in list(rows)[2:-1]:
        x = 14
        while x < width - 30:
            word = scribble.randint(10, 40)
            draw.line([(x, y - 3), (x + word, y - 5)], fill=(30, 40, 90), width=2)
            x += word + scribble.randint(6, 12)
    size = max(min(width, height) // 4, 10)
    draw.text(
        (width // 2 - size // 3, height // 20), str(number), fill=(20, 20, 20), font_size=size
    )


def _image(width, height, colour, noise):
    if noise:  # incompressible, as a detailed phone photo is
        import os

        return Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    return Image.new("RGB", (width, height), colour)


def pdf_pages(data):
    """The pages of a PDF as (width, height, rotation), read with pypdf."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return [
        (round(float(page.mediabox.width)), round(float(page.mediabox.height)), page.rotation)
        for page in reader.pages
    ]
