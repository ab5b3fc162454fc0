"""
Verification codes: 60 random bits written as three groups of Crockford base32,
e.g. ``7KQ2-M9XD-3HFP``. Easy to read aloud, and forgiving when typed back.
"""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12  # 12 symbols x 5 bits = 60 bits
GROUP = 4

# Crockford's decoding rules: O reads as 0, I and L as 1; case does not matter.
_CONFUSABLE = str.maketrans("OIL", "011")
_SEPARATORS = re.compile(r"[\s\-_.]+")
_VALID = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def new_verification_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def symbols(typed):
    """What a typed code has besides its separators, as a code is read: upper case, O as 0."""
    return _SEPARATORS.sub("", typed or "").upper().translate(_CONFUSABLE)


def normalize(typed):
    """The stored form of a typed code, or None when it cannot be a code."""
    code = symbols(typed)
    return code if _VALID.match(code) else None


def display(code):
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))
