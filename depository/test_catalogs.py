"""The translation catalogs: every language complete, its compiled file current, and no
marked string in the code missing from it."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
DOMAINS = ["django", "djangojs"]
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
CATALOGS = [(language, domain) for language in LANGUAGES for domain in DOMAINS]


def catalog(language, domain, root=ROOT):
    return root / "locale" / language / "LC_MESSAGES" / f"{domain}.po"


def msgids(po):
    return {(entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in po if not entry.obsolete}


@pytest.mark.parametrize(("language", "domain"), CATALOGS)
def test_every_entry_is_translated_and_none_is_fuzzy(language, domain):
    po = polib.pofile(str(catalog(language, domain)))

    assert [entry.msgid for entry in po.untranslated_entries()] == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []
    assert not po.metadata_is_fuzzy
    assert po.metadata["Language"] == language


@pytest.mark.parametrize(("language", "domain"), CATALOGS)
def test_the_compiled_catalog_says_what_the_po_file_says(language, domain):
    """The .mo files are committed (so running the app needs no gettext); one compiled
    before the last change to its .po file fails here."""
    po = polib.pofile(str(catalog(language, domain)))
    with catalog(language, domain).with_suffix(".mo").open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)

    for entry in po.translated_entries():
        context = f"{entry.msgctxt}\x04" if entry.msgctxt else ""
        if entry.msgid_plural:
            for n, text in entry.msgstr_plural.items():
                key = (context + entry.msgid, int(n))
                assert translations._catalog.get(key) == text, entry.msgid
        else:
            assert translations._catalog.get(context + entry.msgid) == entry.msgstr, entry.msgid


def gettext_missing():
    return not (shutil.which("xgettext") and shutil.which("msgmerge"))


@pytest.mark.skipif(
    gettext_missing() and not os.environ.get("CI"),
    reason="makemessages needs GNU gettext (apt-get install gettext); CI installs it",
)
def test_a_fresh_makemessages_finds_nothing_the_catalogs_lack(tmp_path):
    """`make messages` run on a copy of the tree: every msgid it finds is already in the
    committed catalog, so no marked string shows in English to a German reader."""
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "var", "staticfiles", "node_modules", "__pycache__", "*.mo", "e2e-*"
    )
    shutil.copytree(ROOT, tree, ignore=ignore, symlinks=True)
    options = ["--all", "--no-obsolete", "--add-location=file"]
    options += [
        f"--ignore={pattern}"
        for pattern in [".venv", "staticfiles", "node_modules", "var", "e2e", "bench", "tests"]
        + ["conftest.py", "test_*.py", ".ci"]
    ]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "depository.settings"}
    for domain in DOMAINS:
        subprocess.run(  # noqa: S603 (our own interpreter and code)
            [sys.executable, "manage.py", "makemessages", "-d", domain, *options],
            cwd=tree,
            env=env,
            check=True,
            capture_output=True,
        )

    for language, domain in CATALOGS:
        committed = msgids(polib.pofile(str(catalog(language, domain))))
        fresh = msgids(polib.pofile(str(catalog(language, domain, root=tree))))
        assert sorted(fresh - committed, key=str) == [], f"{language}/{domain}: run make messages"
