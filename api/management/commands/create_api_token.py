from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.models import ApiToken
from students.models import Exam


class Command(BaseCommand):
    help = (
        "Create an API token for an examiner, for a provisioning script. Prints the token "
        "alone on the last line; it is not stored and cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--exam", type=int, help="Bind the token to this exam (its id).")
        parser.add_argument(
            "--scope", choices=[s.value for s in ApiToken.Scope], default=ApiToken.Scope.READ
        )
        parser.add_argument("--name", default="script")

    def handle(self, *args, username, exam, scope, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        bound = None
        if exam is not None:
            bound = Exam.objects.visible_to(user).filter(pk=exam).first()
            if bound is None:
                raise CommandError(f"{username} has no exam {exam}.")
        row, token = ApiToken.objects.issue(user, name=name, scope=scope, exam=bound)
        where = f"exam {bound.pk}" if bound else "all their exams"
        if options["verbosity"] > 0:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {scope} token “{name}” ({row.prefix}…) for {username}, {where}."
                )
            )
        self.stdout.write(token)
