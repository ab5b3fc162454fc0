from django.core.management.base import BaseCommand
from django.utils import timezone

from submissions.models import CodeMissCount


class Command(BaseCommand):
    help = (
        "Deletes the wrong-code counts of throttle windows that have ended (in Redis, when "
        "REDIS_URL is set, they expire by themselves). Safe to run twice."
    )

    def handle(self, *args, **options):
        deleted, _ = CodeMissCount.objects.filter(expires_at__lte=timezone.now()).delete()
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(f"Deleted {deleted} wrong-code counts of past windows")
            )
