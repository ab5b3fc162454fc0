"""
The receipt's QR code of the signed statement: the student's browser draws it (the server
spends no CPU on it), a QR reader reads the submission's JWS from what is on the screen and
on paper, and without JavaScript the server's image shows instead.
"""

import io

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from e2e.helpers import PHONE, answer_file, pixels

DESKTOP = {"viewport": {"width": 1100, "height": 900}}
WIDTH = 256  # 16rem, as the server's drawing showed


def read_qr(locator):
    """What a QR reader (zxing-cpp) reads in a screenshot of `locator`: each code's text, and
    its quiet zone (the blank margin beside it, in modules)."""
    image = Image.open(io.BytesIO(pixels(locator)))
    codes = zxingcpp.read_barcodes(image, zxingcpp.BarcodeFormat.QRCode)
    return [(code.text, quiet_zone(code, image.width)) for code in codes]


def quiet_zone(code, width):
    left, right = code.position.top_left.x, code.position.top_right.x
    module = (right - left) / (4 * int(code.extra["Version"]) + 17)
    return round(min(left, width - right) / module)


def upload(page, student, tmp_path):
    page.goto(student.get_upload_url())
    page.locator("input[type=file][name=file]").set_input_files(answer_file(tmp_path, 20_000))
    page.locator("button.primary[type=submit]").click()
    page.wait_for_url("**/receipt/**")
    return student.submissions.get(superseded_at=None)


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_browser_draws_the_signed_statement(pages, student, tmp_path, device):
    page = pages.new(**device)
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    submission = upload(page, student, tmp_path)
    figure = page.locator(".receipt-qr")

    expect(figure).to_have_attribute("data-drawn", "yes")

    qr = figure.locator("svg.qr")
    assert read_qr(qr) == [(submission.receipt_jws, 4)]
    assert qr.bounding_box()["width"] == WIDTH
    assert not [url for url in asked if url.endswith("/qr/")]  # no drawing by the server
    page.emulate_media(media="print")
    assert read_qr(qr) == [(submission.receipt_jws, 4)]


def test_without_javascript_the_server_draws_it(pages, student, tmp_path):
    uploader = pages.new()
    submission = upload(uploader, student, tmp_path)
    page = pages.new(java_script_enabled=False)

    page.goto(uploader.url)  # it waits for the page's images

    figure = page.locator(".receipt-qr")
    expect(figure.locator("svg")).to_have_count(0)
    qr = figure.locator("img.qr")
    assert read_qr(qr) == [(submission.receipt_jws, 4)]
    assert qr.bounding_box()["width"] == WIDTH


def test_when_the_library_does_not_load_the_server_draws_it(pages, student, tmp_path):
    page = pages.new()
    page.route("**/vendor/lean-qr/**", lambda route: route.abort())
    submission = upload(page, student, tmp_path)
    figure = page.locator(".receipt-qr")

    expect(figure).to_have_attribute("data-drawn", "server")

    qr = figure.locator("img.qr")
    expect(qr).to_have_js_property("complete", True)
    assert read_qr(qr) == [(submission.receipt_jws, 4)]
