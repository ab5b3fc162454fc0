"""How times and durations read on every page, CSV and mail: one format, the zone named."""

from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

FORMATS = {
    "long": "l j F Y, H:i",  # Tuesday 8 December 2026, 18:00
    "": "j M Y, H:i",  # 8 Dec 2026, 18:00
    "short": "j M, H:i",  # 8 Dec, 18:00
    "seconds": "j M Y, H:i:s",  # 8 Dec 2026, 18:00:05
}


def zone_name(value):
    """The zone's abbreviation at that moment (CET, CEST, EST), or UTC±hh where the zone
    has none (tzdata writes "+03")."""
    abbreviation = value.strftime("%Z")
    if abbreviation[:1] in "+-" and abbreviation:
        return f"UTC{abbreviation}"
    return abbreviation


def format_time(value, style="", zone=None):
    """`value` in `zone` (default: the active zone), e.g. "8 Dec 2026, 18:00 CET"."""
    if value is None:
        return ""
    local = timezone.localtime(value, zone)
    return f"{dateformat.format(local, FORMATS[style])} {zone_name(local)}"


def duration(value):
    """A span as people say it: "3 days 4 h", "2 h 13 min", "5 min", "less than a minute"."""
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return _("less than a minute")
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        parts = [ngettext("%(n)d day", "%(n)d days", days) % {"n": days}]
        parts += [_("%(n)d h") % {"n": hours}] if hours else []
    else:
        parts = [_("%(n)d h") % {"n": hours}] if hours else []
        parts += [_("%(n)d min") % {"n": minutes}] if minutes else []
    return " ".join(parts)
