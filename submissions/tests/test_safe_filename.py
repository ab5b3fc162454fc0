"""storage.safe_filename on its own: Django's multipart parser already strips paths and
shortens names, so an upload alone cannot show what this function does."""

import pytest

from submissions.storage import safe_filename


@pytest.mark.parametrize(
    "name, safe",
    [
        ("answer.pdf", "answer.pdf"),
        # U+202E shows "answer\u202efdp.exe" as "answerexe.pdf"; U+200B is invisible.
        ("answer\u202efdp.exe", "answerfdp.exe"),
        ("ans\u200bwer\x00\x1b\x7f.pdf", "answer.pdf"),
        ("line\r\nbreak.pdf", "linebreak.pdf"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("C:\\Users\\ada\\answer.pdf", "C:_Users_ada_answer.pdf"),
        ("  .hidden. ", "hidden"),
        ("e\u0301te\u0301.pdf", "\u00e9t\u00e9.pdf"),  # decomposed accents, composed (NFC)
        ('what?<"is">|this*:.pdf', 'what?<"is">|this*:.pdf'),
        ("", "download"),
        (None, "download"),
        (" . ", "download"),
        ("\u202e\u200b", "download"),
    ],
)
def test_it_takes_out_what_could_mislead_or_escape(name, safe):
    assert safe_filename(name) == safe


def test_a_portable_name_has_none_of_the_characters_windows_refuses():
    assert safe_filename('what?<"is">|this*:\\.pdf', portable=True) == "what___is___this___.pdf"


def test_a_long_name_is_cut_to_the_limit_keeping_its_extension():
    assert safe_filename("a" * 300 + ".pdf") == "a" * 251 + ".pdf"
    assert safe_filename("a" * 300 + ".pdf", max_length=180) == "a" * 176 + ".pdf"
    assert safe_filename("a" * 255 + ".pdf") == "a" * 251 + ".pdf"
    assert safe_filename("a" * 251 + ".pdf") == "a" * 251 + ".pdf"


def test_a_long_name_without_a_short_extension_is_simply_cut():
    assert safe_filename("a" * 300) == "a" * 255
    assert safe_filename("a." + "b" * 300) == ("a." + "b" * 300)[:255]
