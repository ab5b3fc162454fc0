import json

from django.conf import settings
from django.core.management.base import BaseCommand

from submissions import signing


class Command(BaseCommand):
    help = (
        "Prints the keys receipts are checked with, as /.well-known/jwks.json publishes them: "
        "the signing key's public part first, then the retired ones (RECEIPT_PUBLIC_KEYS), "
        "each with its id and SHA-256 fingerprint (RFC 7638 thumbprint). --jwks prints the "
        "JWK Set itself, for `verify_receipt --keys` on a machine without the site."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--jwks", action="store_true", help="Print the JWK Set as JSON.")

    def handle(self, *args, jwks, **options):
        if not settings.RECEIPT_SIGNING_KEY_IS_SET:
            self.stderr.write("RECEIPT_SIGNING_KEY is not set: these are a throwaway key's.")
        keys = signing.published_keys()
        if jwks:
            self.stdout.write(json.dumps(signing.jwks(keys), indent=2))
            return
        for number, key in enumerate(keys):
            state = "signing" if number == 0 else "retired"
            self.stdout.write(
                f"{signing.key_id(key)}  {state:7}  fingerprint {signing.fingerprint(key)}  "
                f"public key {signing.public_part(key)}"
            )
