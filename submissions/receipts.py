"""
Signed receipts. Each accepted upload is stated in a few facts, signed (submissions.signing)
and kept on its row, so the statement outlives the file. The receipt file that the page, the
mail and the API hand out holds the signed statement (a compact JWS) and its facts to read;
`check()` verifies one with nothing but the published keys: no database.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from submissions import codes, signing

FORMAT = "exam-depository-receipt/1"
# What a statement says happened. The two-step upload will sign its commitments as
# "commitment", with the same facts.
UPLOAD = "upload"
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# A receipt file is a few kilobytes: anything larger is not one.
MAX_RECEIPT_BYTES = 64 * 1024

# The facts, in the order a person reads them, with their names on the pages.
FACT_LABELS = {
    "type": gettext_lazy("What"),
    "site": gettext_lazy("Site"),
    "exam": gettext_lazy("Exam"),
    "student": gettext_lazy("Student"),
    "code": gettext_lazy("Verification code"),
    "file": gettext_lazy("File"),
    "size": gettext_lazy("Size in bytes"),
    "sha256": "SHA-256",
    "counts_from": gettext_lazy("Upload counts from"),
    "recorded_at": gettext_lazy("Recorded"),
    "late": gettext_lazy("Late"),
    "late_by_seconds": gettext_lazy("Late by (seconds)"),
}

# What a check can find, as the lookup page, the command and the offline checker say it.
MESSAGES = {
    "valid": gettext_lazy("Valid: signed by %(site)s with key %(kid)s."),
    "invalid": gettext_lazy("Not valid"),
    "file_matches": gettext_lazy("This file matches: %(name)s is the file on the receipt."),
    "file_differs": gettext_lazy(
        "The file does not match: %(name)s has the SHA-256 %(file)s, the receipt %(receipt)s."
    ),
    "not_a_receipt": gettext_lazy(
        "This is not a receipt of ours: expected the receipt file (.json) or its code."
    ),
    "unreadable": gettext_lazy(
        "This is not a receipt of ours: its signed statement cannot be read."
    ),
    "unknown_key": gettext_lazy(
        "This receipt was signed with key %(kid)s, which is not one of the published keys "
        "(%(known)s). It may come from another site, or be forged."
    ),
    "bad_signature": gettext_lazy(
        "The signature does not match key %(kid)s: the signed statement was changed after "
        "signing, or signed by another key."
    ),
    "disagrees": gettext_lazy(
        "%(fact)s: the readable part says %(readable)s, the signed statement %(signed)s."
    ),
    "other_site": gettext_lazy(
        "The statement names the site %(named)s, but these keys are %(site)s’s."
    ),
    "nothing": gettext_lazy("nothing"),
}


def _utc(moment):
    """A moment as the statement writes it: UTC, to the second, e.g. 2027-03-12T13:00:05Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def statement(*, student, code, name, size, sha256, counts_from, recorded_at, late_by, kind=UPLOAD):
    """The facts one upload's receipt signs. Under blind review the student is left out."""
    facts = {
        "type": kind,
        "site": settings.SITE_URL,
        "exam": student.exam.title,
        "code": codes.display(code),
        "file": name,
        "size": size,
        "sha256": sha256,
        "counts_from": _utc(counts_from),
        "recorded_at": _utc(recorded_at),
        "late": late_by is not None,
    }
    if not student.name_is_hidden():
        facts["student"] = student.nickname
    if late_by is not None:
        facts["late_by_seconds"] = int(late_by.total_seconds())
    return facts


def sign_upload(**facts):
    return signing.sign(statement(**facts))


def receipt_file(submission):
    """The receipt file's content (a dict), or None for an upload made before receipts were
    signed."""
    if not submission.receipt_jws:
        return None
    facts = signing.claims_of(submission.receipt_jws)
    return {
        "format": FORMAT,
        "jws": submission.receipt_jws,
        "facts": facts,
        "keys": settings.SITE_URL + reverse("jwks"),
        "checker": settings.SITE_URL + reverse("submissions:checker"),
    }


def receipt_json(submission):
    data = receipt_file(submission)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n" if data else ""


def qr_svg(submission):
    """The signed statement as a QR code, an SVG image, or "" without one. The receipt page
    has the browser draw it; this is its image for a browser without JavaScript."""
    if not submission.receipt_jws:
        return ""
    # A fixed mask: choosing the best of eight took 60-80 ms of CPU for each image, one is
    # 10-15 ms (bench/receipt.py); any mask reads the same in a scanner.
    code = segno.make(submission.receipt_jws, error="l", mask=0)
    return svg(code, scale=2)


DARK_RUNS = re.compile(rb"\x01+")


def svg(code, scale):
    """`code` as an SVG image, as segno's save(kind="svg", xmldecl=False, nl=False,
    scale=scale, omitsize=True, svgclass="qr") writes it, in half the time: each row's runs
    of dark modules found by a regular expression rather than module by module. One path: a
    horizontal line per run, each from the last one's end, around the quiet zone."""
    border = code.default_border_size
    size = code.symbol_size(scale=scale, border=border)[0]
    moves = []
    last_x, last_y = 0, 0
    for row_number, row in enumerate(code.matrix):
        y = border + row_number
        for run in DARK_RUNS.finditer(row):
            x, length = border + run.start(), run.end() - run.start()
            if moves:
                moves.append(f"m{x - last_x} {y - last_y}h{length}")
            else:  # the first, from the origin, along the middle of its row
                moves.append(f"M{x} {y + 0.5}h{length}")
            last_x, last_y = x + length, y
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" class="qr">'
        f'<path transform="scale({scale})" class="qrline" stroke="#000" d="{"".join(moves)}"/>'
        "</svg>"
    )


def filename(submission):
    return f"receipt-{submission.display_code}.json"


# --- Checking a receipt ---------------------------------------------------------------


@dataclass
class Check:
    """What checking a receipt found: `valid` only when the signature holds and nothing in
    the readable part or the answer file disagrees with the signed statement."""

    kid: str = ""
    site: str = ""
    facts: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    signature_ok: bool = False
    file_matches: bool | None = None  # None: no file given
    file_sha256: str = ""

    @property
    def valid(self):
        return self.signature_ok and not self.problems

    @property
    def site_name(self):
        """The site as the verdict names it: its host (exam-depository.fly.dev)."""
        site = self.site or self.facts.get("site", "")
        return urlsplit(site).netloc or site

    @property
    def code(self):
        return self.facts.get("code", "")

    def fact_rows(self):
        return [(FACT_LABELS.get(name, name), _readable(v)) for name, v in _ordered(self.facts)]


def _readable(value):
    """A fact as a person reads it: yes/no, and times with their zone (UTC)."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and TIME.match(value):
        return value.replace("T", " ").replace("Z", " UTC")
    return value


def _place(name):
    order = list(FACT_LABELS)
    return (order.index(name), name) if name in order else (len(order), name)


def _ordered(facts):
    return sorted(facts.items(), key=lambda item: _place(item[0]))


def read(data):
    """(jws, facts or None) from a receipt file's bytes, or a bare JWS (a QR code's text)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            data = ""
    text = data.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("jws"), str):
            facts = parsed.get("facts")
            return parsed["jws"].strip(), facts if isinstance(facts, dict) else {}
        return None, None
    if text.count(".") == 2 and " " not in text:
        return text, None
    return None, None


def check(data, file=None, keys=None, site=None):
    """Checks a receipt (its file's bytes or text) with `keys` (default: the published ones).
    `file`: (name, SHA-256) of the answer file, to compare. `site`: the site these keys are
    from (default: this one's), which the statement must name; "": do not compare."""
    result = Check()
    token, readable = read(data)
    if token is None:
        result.problems.append(str(MESSAGES["not_a_receipt"]))
        return result
    try:
        result.kid, result.facts = signing.verify(token, keys)
    except signing.Invalid as invalid:
        result.kid = invalid.kid
        result.problems.append(_why(invalid, keys))
        return result
    result.signature_ok = True
    result.problems += _disagreements(readable, result.facts)
    site = settings.SITE_URL if site is None else site
    result.site = site
    if site and result.facts.get("site") != site:
        result.problems.append(
            MESSAGES["other_site"] % {"named": result.facts.get("site"), "site": site}
        )
    if file is not None:
        name, result.file_sha256 = file
        result.file_matches = result.file_sha256 == result.facts.get("sha256")
        if not result.file_matches:
            result.problems.append(
                MESSAGES["file_differs"]
                % {"name": name, "file": result.file_sha256, "receipt": result.facts.get("sha256")}
            )
    return result


def _why(invalid, keys):
    if invalid.reason == "unknown_key":
        keys = signing.published_keys() if keys is None else keys
        known = ", ".join(signing.key_id(k) for k in keys) or "none"
        return MESSAGES["unknown_key"] % {"kid": invalid.kid or "?", "known": known}
    if invalid.reason == "signature":
        return MESSAGES["bad_signature"] % {"kid": invalid.kid}
    return str(MESSAGES["unreadable"])


def _disagreements(readable, signed):
    """Each fact where the readable part says something else than the signed statement."""
    if readable is None:
        return []
    return [
        MESSAGES["disagrees"]
        % {
            "fact": FACT_LABELS.get(name, name),
            "readable": _shown(readable.get(name)),
            "signed": _shown(signed.get(name)),
        }
        for name in sorted(set(readable) | set(signed), key=_place)
        if readable.get(name) != signed.get(name)
    ]


def _shown(value):
    return str(MESSAGES["nothing"]) if value is None else json.dumps(value, ensure_ascii=False)


def sha256_of(stream):
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()
