import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from submissions import receipts, signing

NO_KEY = (
    "RECEIPT_SIGNING_KEY is not set, so a throwaway key stands in and no real receipt can "
    "verify: set it (and RECEIPT_PUBLIC_KEYS) as the site has them, or pass --keys jwks.json."
)


class Command(BaseCommand):
    help = (
        "Checks a signed receipt (the .json file, or a file holding the QR code's text) with "
        "the published keys alone, and with FILE that FILE is the one on the receipt. Needs "
        "no database. --keys takes the keys from a saved JWK Set (/.well-known/jwks.json) "
        "instead of this site's settings. Exits with 1 when the receipt is not valid."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("receipt", help="The receipt file (.json).")
        parser.add_argument("file", nargs="?", help="The answer file, to compare its SHA-256.")
        parser.add_argument("--keys", help="A saved JWK Set to check with (default: settings).")

    def handle(self, *args, receipt, file, keys, verbosity, **options):
        keys, site = self._keys(keys)
        answer = None
        if file:
            with _open(file) as stream:
                answer = (Path(file).name, receipts.sha256_of(stream))
        with _open(receipt) as stream:
            result = receipts.check(stream.read(), answer, keys=keys, site=site)
        if result.signature_ok and verbosity >= 1:
            for label, value in result.fact_rows():
                self.stdout.write(f"{label}: {value}")
        if not result.valid:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(str(receipts.MESSAGES["invalid"]))
        verdict = receipts.MESSAGES["valid"] % {"site": result.site_name, "kid": result.kid}
        self.stdout.write(self.style.SUCCESS(verdict))
        if answer:
            self.stdout.write(
                self.style.SUCCESS(receipts.MESSAGES["file_matches"] % {"name": answer[0]})
            )

    def _keys(self, path):
        """The keys and the site they speak for: the settings' (this site), or a JWK Set's
        (whose site the statement names: there is no other to compare it with)."""
        if not path:
            if not settings.RECEIPT_SIGNING_KEY_IS_SET:
                self.stderr.write(NO_KEY)
            return None, None
        try:
            with _open(path) as stream:
                return signing.keys_from_jwks(json.load(stream)), ""
        except (ValueError, signing.BadKey) as error:
            raise CommandError(f"{path} is not a JWK Set: {error}") from error


def _open(path):
    try:
        return Path(path).open("rb")
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}") from error
