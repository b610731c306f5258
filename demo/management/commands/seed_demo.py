from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.services import seed_demo_data
from portal.demo_credentials import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Create the demo insurers, providers, coverage, team and one account per role."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Demo accounts have published passwords, so they are only seeded when DEBUG is "
                "on. Run with DEBUG=true on a developer machine (make run does)."
            )
        accounts = seed_demo_data()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Password for every account: {DEMO_PASSWORD}")
        )
        for account in accounts:
            self.stdout.write(f"  {account.role.label:<18} {account.email}")
