from django.core.management.base import BaseCommand, CommandError

from submissions import cors
from submissions.storage import StorageUnavailable, is_s3

DENIED = (
    " Reading and setting a bucket's CORS takes credentials that may change its settings "
    "(R2: an API token with Admin Read & Write; the app itself needs only Object Read & Write)."
)


class Command(BaseCommand):
    help = (
        "Shows the bucket's CORS rule that lets students' browsers upload straight to storage "
        "from SITE_URL's origin (PUT only), and whether the bucket has it. --apply sets it, "
        "replacing only the rule this command wrote and keeping every other rule. Run it once "
        "per bucket, with credentials that may change the bucket's settings (R2: Admin Read & "
        "Write). Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Write the rule to the bucket.")

    def handle(self, *args, apply, verbosity, **options):
        self.verbosity = verbosity
        if not is_s3():
            self.say(
                self.style.NOTICE(
                    "Files are stored on the server's own disk: uploads go through the app, "
                    "so there is no CORS rule to set."
                )
            )
            return
        origin = cors.site_origin()
        wanted = cors.upload_rule(origin)
        rules = self.storage(cors.bucket_rules, "read")
        others = [rule for rule in rules if not cors.is_ours(rule, wanted)]
        if not apply:
            self.say(f"The CORS rule for uploads from {origin}:\n{cors.describe(wanted)}")
        for rule in others:
            self.say(f"Another rule, kept as it is:\n{cors.describe(rule)}", level=2)

        if cors.has_rule(rules, wanted):
            self.say(self.style.SUCCESS("The bucket has the rule already."))
        elif not apply:
            self.say(self.style.NOTICE("The bucket does not have it: run with --apply to set it."))
        else:
            self.storage(lambda: cors.set_bucket_rules(cors.with_rule(rules, wanted)), "set")
            kept = f"{len(others)} other rule{'' if len(others) == 1 else 's'}"
            self.say(
                self.style.SUCCESS(f"Set the CORS rule for uploads from {origin}; kept {kept}.")
            )

    def say(self, message, level=1):
        if self.verbosity >= level:
            self.stdout.write(message)

    def storage(self, call, verb):
        try:
            return call()
        except StorageUnavailable as error:
            denied = DENIED if "AccessDenied" in str(error) else ""
            raise CommandError(
                f"Could not {verb} the bucket's CORS rules: {error}{denied}"
            ) from error
