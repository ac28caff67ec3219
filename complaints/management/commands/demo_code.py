"""The current two-factor code of the demo regulator and admin, for whoever tries the demo
without an authenticator app. It reads only the demo device (DEMO_TOTP_DEVICE), whose secret
README.md publishes anyway; no real account's code can be read this way."""

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from complaints.management.demo_names import DEMO_TOTP_DEVICE


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo regulator and admin."

    def handle(self, *args, **options):
        device = TOTPDevice.objects.filter(name=DEMO_TOTP_DEVICE, confirmed=True).first()
        if device is None:
            raise CommandError("No demo data: run `manage.py demo_data` first.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        left = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}  (valid for {left} more seconds)")
