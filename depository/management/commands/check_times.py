from django.apps import apps
from django.core.management.base import BaseCommand
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from students import times

# Every stored time a person or a script sets, by model: what the forms and the API bound to
# times.EARLIEST..LATEST. A row stored before that bound may lie outside it; its pages then
# cannot show it.
SETTABLE_TIMES = {
    "students.Exam": ["opens_at", "closes_at", "cutoff_at"],
    "students.Student": ["extended_until"],
    "api.ApiToken": ["expires_at"],
}


class Command(BaseCommand):
    help = (
        "Lists stored times outside what the forms and the API accept "
        f"({times.EARLIEST:%Y-%m-%d} to {times.LATEST:%Y-%m-%d %H:%M:%S} UTC), which pages "
        "cannot show. With --clear, empties them (no opening time, no deadline, no cut-off, "
        "no extension, no expiry), so that the examiner can set a real one. Exits with "
        "status 1 when it found any and did not clear them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clear", action="store_true", help="Empty the times it lists.")

    def handle(self, *args, clear, **options):
        found = 0
        for label, fields in SETTABLE_TIMES.items():
            model = apps.get_model(label)
            for field in fields:
                outside = model.objects.filter(
                    Q(**{f"{field}__lt": times.EARLIEST}) | Q(**{f"{field}__gt": times.LATEST})
                )
                # As text: Python's datetime cannot hold what PostgreSQL may have stored.
                for pk, value in outside.values_list("pk", Cast(field, TextField())):
                    self.stdout.write(f"{model._meta.label} {pk}: {field} = {value}")
                    found += 1
                if clear:
                    outside.update(**{field: None})
        if not found:
            self.stdout.write(self.style.SUCCESS("Every stored time is within range."))
        elif clear:
            self.stdout.write(self.style.SUCCESS(f"Emptied {found} times out of range."))
        else:
            self.stdout.write(
                self.style.NOTICE(f"{found} stored times out of range; --clear empties them.")
            )
            raise SystemExit(1)
