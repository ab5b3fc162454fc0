from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.utils import timezone

from submissions import storage
from submissions.models import Commitment, Submission

PREFIX = "submissions"
# An object this young may belong to an upload still on its way into the database.
GRACE = timedelta(hours=1)


class Command(BaseCommand):
    help = (
        "Compares storage with the database: counts objects that no live submission or open "
        "commitment owns (older than an hour: a commitment replaced or expired without its "
        "file leaves one) and submissions whose object is missing, and lists each with "
        "--verbosity 2. Dry run unless --delete is given, which deletes those objects; a "
        "delete that fails is reported and the rest go on. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--delete", action="store_true", help="Delete the orphaned objects it finds."
        )

    def handle(self, *args, delete, verbosity, **options):
        try:
            stored = {f"{PREFIX}/{name}" for name in default_storage.listdir(PREFIX)[1]}
        except FileNotFoundError:  # local storage before the first upload
            stored = set()
        # An open commitment's object is live, however old: its file may still complete.
        # Read first: one completed meanwhile is then read again below as its submission's.
        live = set(Commitment.objects.open().values_list("key", flat=True))
        live |= set(Submission.objects.current().with_file().values_list("file", flat=True))
        cutoff = timezone.now() - GRACE

        orphans = sorted(
            key for key in stored - live if default_storage.get_modified_time(key) < cutoff
        )
        failed = 0
        for key in orphans:
            if delete:
                try:
                    storage.delete(key)
                except storage.StorageUnavailable as error:
                    failed += 1
                    self.stderr.write(f"Could not delete {key}: {error}")
                    continue
                # A superseded submission whose delete failed earlier: its file is gone now.
                Submission.objects.filter(file=key, file_deleted_at__isnull=True).update(
                    file_deleted_at=timezone.now()
                )
            if verbosity >= 2:
                self.stdout.write(f"{'Deleted' if delete else 'Orphaned'} object {key}")

        missing = Submission.objects.current().with_file().exclude(file__in=stored)
        if verbosity >= 2:
            for submission in missing.order_by("pk"):
                self.stdout.write(
                    f"Missing object {submission.file.name} for submission {submission.pk} "
                    f"({submission.display_code})"
                )

        if verbosity >= 1:
            if delete:
                done = f"{len(orphans) - failed} orphaned objects deleted"
                done += f", {failed} failed" if failed else ""
            else:
                done = f"{len(orphans)} orphaned objects would delete (run with --delete)"
            style = self.style.WARNING if failed else self.style.SUCCESS
            self.stdout.write(style(f"{done}; {missing.count()} submissions missing their object"))
