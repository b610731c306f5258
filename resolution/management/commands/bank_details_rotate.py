"""Encrypt every claim's bank details again with the first key of BANK_DETAILS_KEYS: run after
putting a new key first, before removing the old one."""

from django.core.management.base import BaseCommand, CommandError

from resolution import encryption
from resolution.payments import bank_details_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt all bank details with the first key of BANK_DETAILS_KEYS (key rotation). "
        "Keep the old key in the list until this has finished."
    )

    def handle(self, *args, **options) -> None:
        if problem := encryption.keys_problem():
            raise CommandError(problem)
        try:
            count = bank_details_rotate()
        except encryption.BankDetailsUnreadable as error:
            raise CommandError(f"{error} Put the old key back in BANK_DETAILS_KEYS.") from error
        self.stdout.write(f"Bank details of {count} claim(s) re-encrypted with the first key.")
