"""Re-encrypt consumers' contact details under the first of FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keeping the old ones after it), restart,
run this command, then drop the old keys. `--new-key` prints a fresh key to start with.
"""

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand

from complaints.services.contact_details import contact_details_reencrypt


class Command(BaseCommand):
    help = (
        "Encrypt every stored contact detail again with the first key of "
        "FIELD_ENCRYPTION_KEYS and recompute the e-mail index; --new-key prints a new key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key", action="store_true", help="Print a new Fernet key and change nothing."
        )
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, new_key: bool, batch_size: int, **options):
        if new_key:
            self.stdout.write(Fernet.generate_key().decode())
            return
        count = contact_details_reencrypt(batch_size=batch_size)
        self.stdout.write(f"Re-encrypted the contact details of {count} complaints.")
