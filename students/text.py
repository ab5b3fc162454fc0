"""Names as people mean them, without the characters nobody sees."""

import re
import unicodedata

# Marks that turn the direction of the text around them (they can make one name look like
# another, or a file name end in a different extension) and zero-width spaces and byte
# order marks, which spreadsheets leave in exported CSV files. The joiners U+200C and
# U+200D are not here: Persian and Indic names need them.
INVISIBLE = re.compile("[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
# Control characters, and every other kind of space or line break, become a plain space.
SPACE_LIKE = {"Cc", "Zs", "Zl", "Zp"}


def plain_text(value):
    """NFC-normalised, without invisible marks, with single spaces between words."""
    value = INVISIBLE.sub("", unicodedata.normalize("NFC", value))
    value = "".join(" " if unicodedata.category(ch) in SPACE_LIKE else ch for ch in value)
    return " ".join(value.split())
