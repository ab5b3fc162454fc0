"""Keys that let the database search names without accents or case, and sort them in the
order of the alphabet people know (Ł after L, Š after S), the same on SQLite and PostgreSQL,
whatever collation the database was made with."""

import unicodedata

# Letters NFKD leaves whole, written as the Latin letters a search should find them by.
FOLDED = {
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ħ": "h",
    "ı": "i",
    "ŧ": "t",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
}
# Letters that are letters of their own in their alphabets (Polish, Czech, Slovak, Croatian,
# Danish, Norwegian, Spanish): sorted after their base letter, not mixed with it. Other
# accents (é, ü, ö, à ...) sort with their base letter, as German and French dictionaries do.
OWN_LETTERS = set("ąćčďđęěłńňñøřśšťůźżžå")


def _fold(char):
    """The lower-case ASCII letters (or the character itself) a character stands for."""
    char = char.casefold()
    if char in FOLDED:
        return FOLDED[char]
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_text(value):
    """`value` without accents or case: "Łukasiewicz" and "lukasiewicz" are the same."""
    return "".join(_fold(char) for char in value)


# Every character becomes tokens of two characters: a base letter and a weight, so a word
# compares letter by letter, an own letter (weight 1) after every word with its base letter
# there (weight 0). Only ASCII letters and digits are written, which every collation orders
# the same way; "00" between the names sorts "Lee" before "Leeds".
SEPARATOR = "00"


def _sort_tokens(value):
    for char in value.casefold():
        weight = "1" if char in OWN_LETTERS else "0"
        for base in _fold(char):
            if base.isascii() and base.isalpha():
                yield base + weight
            elif base.isascii() and base.isdigit():
                yield "1" + base
            elif base.isalnum():  # other scripts: by code point, after the Latin ones
                yield base + "0"


def sort_text(*names):
    """The key that sorts `names` (last name, first name, ...) by the alphabet."""
    return SEPARATOR.join("".join(_sort_tokens(name)) for name in names)


def student_keys(first_name, last_name, nickname, email):
    """(search key, sort key) of a student's names: Student.fill_keys and its migration."""
    search = search_text(" ".join([first_name, last_name, nickname, email]))
    return search, sort_text(last_name, first_name, nickname)


def nickname_key(nickname):
    """What makes two nicknames the same in one exam: Unicode's caseless match (case folded,
    so "straße" and "STRASSE" are one nickname, as are "ǅ" and "ǆ"). The student form, the
    roster import and the database's unique constraint (Student.nickname_key) all compare
    this, on SQLite and PostgreSQL alike, where the databases' own lower() differ."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", nickname.strip()).casefold())
