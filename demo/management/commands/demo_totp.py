import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo_credentials import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo accounts (developer machines only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo code is only shown when DEBUG is on.")
        now = time.time()
        counter = int(now) // app_settings.TOTP_PERIOD
        seconds_left = app_settings.TOTP_PERIOD - int(now) % app_settings.TOTP_PERIOD
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
        self.stdout.write(f"{code}  (valid for {seconds_left} more seconds)")
