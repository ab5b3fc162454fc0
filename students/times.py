"""How times and durations read on every page, CSV and mail: one format, the zone named."""

import zoneinfo
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, npgettext, pgettext, pgettext_lazy

# Django's date format characters; each language's catalog gives its own order ("8.
# Dezember 2026"), so a new language needs no code here.
FORMATS = {
    # Translators: a date format (Django's `date` filter): Tuesday 8 December 2026, 18:00
    "long": pgettext_lazy("date format", "l j F Y, H:i"),
    # Translators: a date format (Django's `date` filter): 8 Dec 2026, 18:00
    "": pgettext_lazy("date format", "j M Y, H:i"),
    # Translators: a date format (Django's `date` filter): 8 Dec, 18:00
    "short": pgettext_lazy("date format", "j M, H:i"),
    # Translators: a date format (Django's `date` filter): 8 Dec 2026, 18:00:05
    "seconds": pgettext_lazy("date format", "j M Y, H:i:s"),
}

# Every time an examiner or a script may set (an exam's opening, due and cut-off times, an
# extension, a token's expiry) lies in this span. Any real exam fits, and what is derived from
# it (the deletion date, at most 30 days on; reminders) stays far inside the years 1-9999 that
# Python's datetime holds, in every zone. PostgreSQL would store far more, which no page could
# then show (`manage.py check` names such rows: students.checks).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


def is_settable(value):
    """Whether a time lies within EARLIEST and LATEST."""
    return EARLIEST <= value <= LATEST


def validate_settable(value):
    """A form field's validator: the bound, told in the active zone."""
    if value is not None and not is_settable(value):
        raise ValidationError(
            _(
                "Choose a time from %(earliest)s to %(latest)s. For no such time at all, "
                "leave the field empty."
            ),
            code="out_of_range",
            params={"earliest": format_time(EARLIEST), "latest": format_time(LATEST)},
        )


# The abbreviations tzdata gives for the zones of the EU and its neighbours, as each
# language writes them (CET is MEZ in German). Others are shown as tzdata writes them.
ZONE_ABBREVIATIONS = {
    "UTC": pgettext_lazy("time zone", "UTC"),
    "GMT": pgettext_lazy("time zone", "GMT"),
    "BST": pgettext_lazy("time zone", "BST"),
    "IST": pgettext_lazy("time zone", "IST"),
    "WET": pgettext_lazy("time zone", "WET"),
    "WEST": pgettext_lazy("time zone", "WEST"),
    "CET": pgettext_lazy("time zone", "CET"),
    "CEST": pgettext_lazy("time zone", "CEST"),
    "EET": pgettext_lazy("time zone", "EET"),
    "EEST": pgettext_lazy("time zone", "EEST"),
    "MSK": pgettext_lazy("time zone", "MSK"),
}


def activate(zone):
    """Show times in `zone` (a name) from now on in this thread; None: the site's zone."""
    if zone:
        timezone.activate(zoneinfo.ZoneInfo(zone))
    else:
        timezone.deactivate()


def zone_name(value):
    """The zone's abbreviation at that moment (CET, CEST, EST) in the active language
    (MEZ, MESZ in German), or UTC±hh where the zone has none (tzdata writes "+03")."""
    return _zone_name(value.strftime("%Z"))


def _zone_name(abbreviation):
    if abbreviation[:1] in "+-" and abbreviation:
        return pgettext("time zone", "UTC%(offset)s") % {"offset": abbreviation}
    return str(ZONE_ABBREVIATIONS.get(abbreviation, abbreviation))


def format_time(value, style="", zone=None):
    """`value` in `zone` (default: the active zone), e.g. "8 Dec 2026, 18:00 CET", in the
    active language ("8. Dez. 2026, 18:00 MEZ")."""
    return "" if value is None else writer(style, zone)(value)


def writer(style="", zone=None):
    """format_time for many times in a row (a roster page's): the format and the zones'
    names are translated once, in the language active now, not once for each time."""
    layout = str(FORMATS[style])
    names = {}

    def write(value):
        if value is None:
            return ""
        local = timezone.localtime(value, zone)
        abbreviation = local.strftime("%Z")
        if abbreviation not in names:
            names[abbreviation] = _zone_name(abbreviation)
        return f"{dateformat.format(local, layout)} {names[abbreviation]}"

    return write


def kept_until(submission, write=format_time):
    """Until when a submission's file is kept, as every page, CSV and mail says it: the time
    it is deleted (`submission.expires_at`, Submission.objects.with_expiry's one rule), as
    `write` writes a time, or before uploads close, "3 days after uploads close"."""
    if submission.expires_at:
        return write(submission.expires_at)
    days = submission.student.exam.retention_days
    return ngettext(
        "%(days)d day after uploads close", "%(days)d days after uploads close", days
    ) % {"days": days}


def duration(value, within=False):
    """A span as people say it: "3 days 4 h", "2 h 13 min", "5 min", "less than a minute".
    `within`: after "in" ("closes in 3 days"), which some languages decline ("in 3 Tagen")."""
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return _("less than a minute")
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        if within:
            # Translators: a number of days after "in" ("closes in 3 days"); German: Tagen
            day_text = npgettext("in a span of", "%(n)d day", "%(n)d days", days)
        else:
            day_text = ngettext("%(n)d day", "%(n)d days", days)
        parts = [day_text % {"n": days}]
        parts += [_("%(n)d h") % {"n": hours}] if hours else []
    else:
        parts = [_("%(n)d h") % {"n": hours}] if hours else []
        parts += [_("%(n)d min") % {"n": minutes}] if minutes else []
    return " ".join(parts)
