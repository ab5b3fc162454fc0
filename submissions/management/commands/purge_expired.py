from django.core.management.base import BaseCommand

from submissions import storage
from submissions.models import Submission


class Command(BaseCommand):
    help = (
        "Deletes the files whose retention has ended (each exam's days after uploads close). "
        "Their metadata and SHA-256 stay. A delete that fails is reported and the rest go "
        "on; --verbosity 2 lists each file. Safe to run twice."
    )

    def handle(self, *args, verbosity, **options):
        purged = failed = 0
        for submission in Submission.objects.expired().select_related("student").iterator():
            try:
                storage.delete(submission.file.name)
            except storage.StorageUnavailable as error:
                failed += 1
                self.stderr.write(f"Could not delete {submission.file.name}: {error}")
                continue
            submission.mark_purged()
            purged += 1
            if verbosity >= 2:
                self.stdout.write(f"Purged {submission.file.name} ({submission.original_name})")
        if verbosity >= 1:
            style = self.style.WARNING if failed else self.style.SUCCESS
            self.stdout.write(
                style(f"Purged {purged} files" + (f"; {failed} failed" if failed else ""))
            )
