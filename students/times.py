"""How times and durations read on every page, CSV and mail: one format, the zone named."""

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


def zone_name(value):
    """The zone's abbreviation at that moment (CET, CEST, EST) in the active language
    (MEZ, MESZ in German), or UTC±hh where the zone has none (tzdata writes "+03")."""
    abbreviation = value.strftime("%Z")
    if abbreviation[:1] in "+-" and abbreviation:
        return pgettext("time zone", "UTC%(offset)s") % {"offset": abbreviation}
    return str(ZONE_ABBREVIATIONS.get(abbreviation, abbreviation))


def format_time(value, style="", zone=None):
    """`value` in `zone` (default: the active zone), e.g. "8 Dec 2026, 18:00 CET", in the
    active language ("8. Dez. 2026, 18:00 MEZ")."""
    if value is None:
        return ""
    local = timezone.localtime(value, zone)
    return f"{dateformat.format(local, str(FORMATS[style]))} {zone_name(local)}"


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
