from django import template
from django.utils import timezone

from students import times

register = template.Library()


@register.filter
def when(value, style=""):
    """A time in the active zone with the zone named: {{ exam.closes_at|when:"long" }}."""
    return times.format_time(value, style)


@register.filter
def span(value):
    """A duration as people say it: {{ submission.late_by|span }} → "2 h 13 min"."""
    return "" if value is None else times.duration(value)


@register.filter
def until(value, after=""):
    """How long until `value`, from now: "2 h 13 min" (empty once it has passed).
    {{ due|until:"in" }} for after the word "in", which German declines ("in 3 Tagen")."""
    if value is None:
        return ""
    left = value - timezone.now()
    return times.duration(left, within=after == "in") if left.total_seconds() > 0 else ""


@register.filter
def seconds_until(value):
    """Whole seconds from now until `value` (0 once passed), for a page's countdown."""
    return max(int((value - timezone.now()).total_seconds()), 0) if value else 0


@register.simple_tag
def kept_until(submission):
    """Until when a submission's file is kept: its time, or, before uploads close, how
    long after they close: {% kept_until submission %} → "3 days after uploads close"."""
    return times.kept_until(submission)
