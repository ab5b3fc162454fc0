from django.core.management.base import BaseCommand

from submissions import signing


class Command(BaseCommand):
    help = (
        "Makes a new Ed25519 key for signing receipts and prints it as RECEIPT_SIGNING_KEY, "
        "with its key id and fingerprint. Nothing is stored: set it as a secret. To rotate, "
        "add the old key's public part (`receipt_keys` prints it) to RECEIPT_PUBLIC_KEYS."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--bare", action="store_true", help="Print the key alone (for a file or a script)."
        )

    def handle(self, *args, bare, **options):
        private = signing.new_private_key()
        if bare:
            self.stdout.write(private)
            return
        key = signing.load_private_key(private)
        self.stdout.write(f"RECEIPT_SIGNING_KEY={private}")
        self.stdout.write(f"Key id:      {signing.key_id(key)}")
        self.stdout.write(f"Fingerprint: {signing.fingerprint(key)}")
        self.stdout.write(f"Public key:  {signing.public_part(key)}")
        self.stdout.write(
            self.style.NOTICE(
                "Keep the private key secret (e.g. fly secrets set RECEIPT_SIGNING_KEY=…). "
                "When it replaces a key, add the old key's public part to RECEIPT_PUBLIC_KEYS "
                "so that receipts it signed keep verifying."
            )
        )
