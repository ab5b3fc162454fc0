"""
Photos of paper pages made into one PDF on the server, for a student whose page posts them
without its script (with it, the page makes the PDF itself before sending). img2pdf puts
each JPEG into the PDF as it is, without decoding or compressing it again, so a page costs
little CPU and loses nothing; a PNG's pixels are copied. A photo's EXIF orientation turns
its page, and each photo fills an A4 page. The PDF is then an ordinary answer file: the
exam's size limit applies to it.
"""

import hashlib
import io

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext, gettext_lazy, ngettext
from PIL import Image

from students import filetypes

MAX_PAGES = 40
TOO_MANY_PAGES = gettext_lazy(
    "At most %(max)s photos can become one PDF. Nothing was stored and no upload was used: "
    "please send fewer pages."
)
# Each photo fills an A4 page (turned to landscape for a landscape photo), as a scan would.
A4_MM = (210, 297)
# A photo that claims more pixels than this is refused before anything decodes it (a
# 50-megapixel phone photo is 8,000 × 6,000).
MAX_PIXELS = 60_000_000


def name_for(count):
    return f"scan-{count}-page.pdf" if count == 1 else f"scan-{count}-pages.pdf"


def combine(photos, limit):
    """One PDF of `photos` in their order, as an uploaded file with its SHA-256 (and MD5 when
    the photos came with theirs); ValidationError, with a message for the student, for
    anything that is not a photo, too many pages, or a PDF past `limit` bytes."""
    if len(photos) > MAX_PAGES:
        raise ValidationError(TOO_MANY_PAGES % {"max": MAX_PAGES}, code="too_many_pages")
    import img2pdf  # with pikepdf behind it: loaded by the processes that make a PDF

    pages = [_page(photo) for photo in photos]
    a4 = tuple(map(img2pdf.mm_to_pt, A4_MM))
    layout = img2pdf.get_layout_fun(a4, fit=img2pdf.FitMode.into, auto_orient=True)
    try:
        pdf = img2pdf.convert(pages, rotation=img2pdf.Rotation.ifvalid, layout_fun=layout)
    except (img2pdf.ImageOpenError, ValueError, OSError) as error:
        raise _not_a_photo(photos[0].name) from error
    if len(pdf) > limit:
        raise ValidationError(_too_large(len(photos), len(pdf), limit), code="file_too_large")
    scan = SimpleUploadedFile(name_for(len(photos)), pdf, content_type="application/pdf")
    scan.sha256 = hashlib.sha256(pdf).hexdigest()
    wants_md5 = any(getattr(photo, "md5", "") for photo in photos)
    scan.md5 = hashlib.md5(pdf, usedforsecurity=False).hexdigest() if wants_md5 else ""
    return scan


def _page(photo):
    """The photo's bytes as img2pdf takes them: a JPEG or an opaque PNG as it came, a PNG
    with transparency flattened onto white (img2pdf would refuse it)."""
    ext = filetypes.extension(photo.name)
    if ext not in filetypes.SCANNABLE or not filetypes.KINDS[ext].matches(
        filetypes.read_head(photo)
    ):
        raise _not_a_photo(photo.name)
    data = photo.read()
    photo.seek(0)
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _not_a_photo(photo.name)
            if ext == "png" and (image.mode in ("RGBA", "LA") or "transparency" in image.info):
                flat = Image.new("RGB", image.size, "white")
                flat.paste(image.convert("RGBA"), mask=image.convert("RGBA"))
                out = io.BytesIO()
                flat.save(out, "PNG")
                return out.getvalue()
    except (OSError, Image.DecompressionBombError) as error:
        raise _not_a_photo(photo.name) from error
    return data


def _not_a_photo(name):
    return ValidationError(
        gettext(
            "“%(name)s” is not a JPEG or PNG photo, so your photos could not become one PDF. "
            "Choose either one answer file, or only photos of your pages. Nothing was stored "
            "and no upload was used."
        )
        % {"name": name},
        code="not_a_photo",
    )


def _too_large(count, size, limit):
    shown, allowed = filetypes.sizes(size, limit)
    return " ".join(
        [
            ngettext(
                "Your %(count)s photo makes a PDF of %(size)s; the limit is %(limit)s.",
                "Your %(count)s photos make a PDF of %(size)s; the limit is %(limit)s.",
                count,
            )
            % {"count": count, "size": shown, "limit": allowed},
            gettext(
                "Nothing was stored and no upload was used. Send fewer pages, or take the "
                "photos again at a lower resolution (or open this page in a browser with "
                "JavaScript, which makes photos smaller)."
            ),
        ]
    )
