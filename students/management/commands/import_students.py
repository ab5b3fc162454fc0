from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from students import imports
from students.models import Exam


class Command(BaseCommand):
    help = (
        "Add students to an exam from a CSV file (nickname, first name, last name, email; "
        "a header row in any order). Rows with errors are listed and skipped; the rest are "
        "added in one transaction. Safe to run twice: known nicknames are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("exam_id", type=int)
        parser.add_argument("csv_file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check every row, add nobody.")

    def handle(self, exam_id, csv_file, dry_run, **options):
        exam = Exam.objects.filter(pk=exam_id).first()
        if exam is None:
            raise CommandError(f"There is no exam {exam_id}.")
        try:
            text = imports.decode(csv_file.read_bytes())
            result = (imports.preview if dry_run else imports.import_students)(exam, text)
        except OSError as error:
            raise CommandError(f"Cannot read {csv_file}: {error.strerror}.") from None
        except (imports.UnreadableFile, imports.ImportConflict) as error:
            raise CommandError(str(error)) from None

        for row in result.invalid_rows:
            self.stdout.write(f"Line {row.line}: {' '.join(row.errors)}")
        added = len(result.valid_rows)
        verb = "Would add" if dry_run else "Added"
        self.stdout.write(
            f"{verb} {added} students to “{exam}” (exam {exam.pk}); "
            f"skipped {len(result.invalid_rows)} rows with errors."
        )
