from django.core.management.base import BaseCommand, CommandError

from students import accounts


class Command(BaseCommand):
    help = (
        "Invite an examiner by mail: an account named after EMAIL, without a password, and a "
        "one-time link to choose one (the worker sends it). Again: a new link."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        try:
            user = accounts.invite(email)
        except accounts.CannotInvite as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Invited {user.email}; the worker sends the mail."))
