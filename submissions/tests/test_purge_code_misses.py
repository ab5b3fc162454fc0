import pytest
import time_machine
from django.core.management import call_command

from submissions import throttle
from submissions.models import CodeMissCount

pytestmark = pytest.mark.django_db


def purge(capsys, **options):
    call_command("purge_code_misses", **options)
    return capsys.readouterr().out


def test_it_deletes_the_counts_of_windows_that_ended_and_keeps_this_ones(settings, capsys):
    settings.CODE_MISS_WINDOW = 600
    with time_machine.travel("2026-06-01 08:55:00Z", tick=False) as clock:
        throttle.record_miss("203.0.113.7")  # the window 08:50-09:00
        throttle.record_miss("2001:db8:1:2::/64")
        clock.move_to("2026-06-01 09:00:00Z")  # that window ends exactly now
        throttle.record_miss("203.0.113.7")  # the window 09:00-09:10

        output = purge(capsys)

        assert output.strip() == "Deleted 2 wrong-code counts of past windows"
        [kept] = CodeMissCount.objects.all()
        assert (kept.network, kept.misses) == ("203.0.113.7", 1)
        assert throttle.misses("203.0.113.7") == 1


def test_it_keeps_a_window_until_its_last_second(settings, capsys):
    settings.CODE_MISS_WINDOW = 600
    with time_machine.travel("2026-06-01 08:55:00Z", tick=False) as clock:
        throttle.record_miss("203.0.113.7")
        clock.move_to("2026-06-01 08:59:59.999Z")

        assert purge(capsys).strip() == "Deleted 0 wrong-code counts of past windows"
        assert CodeMissCount.objects.count() == 1


def test_it_is_safe_to_run_twice_and_quiet_at_verbosity_0(settings, capsys):
    with time_machine.travel("2026-06-01 08:55:00Z", tick=False) as clock:
        throttle.record_miss("203.0.113.7")
        clock.shift(settings.CODE_MISS_WINDOW)

        assert purge(capsys, verbosity=0) == ""
        assert purge(capsys).strip() == "Deleted 0 wrong-code counts of past windows"
        assert not CodeMissCount.objects.exists()
