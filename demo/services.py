"""The demo data `make run` seeds: organisations and one account per role, idempotently."""

import datetime

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone

from intake.models import AUTHORITY_SCOPES, Authority, Claim, Priority
from intake.services import claim_submit
from portal.demo_credentials import (
    CASTLE,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    NORTHSHIRE,
    DemoAccount,
)
from portal.models import Coverage, Insurer, Provider, Role, User
from triage.models import AdjusterProfile, Holiday, RoutingRule, Team

# (provider, region, insurer, coverage start)
DEMO_PROVIDERS = [
    ("St Mary's Hospital NHS Trust", "North West", NORTHSHIRE, datetime.date(2020, 1, 1)),
    ("Riverside Clinic", "North West", NORTHSHIRE, datetime.date(2022, 4, 1)),
    ("Harbour Dental Practice", "South West", CASTLE, datetime.date(2021, 6, 1)),
    ("Hillview Maternity Unit", "Midlands", CASTLE, datetime.date(2019, 1, 1)),
    ("Oakwood Community Surgery", "Midlands", None, None),
]


@transaction.atomic
def seed_demo_data() -> list[DemoAccount]:
    """Create or refresh the demo organisations and accounts; safe to run any number of times."""
    insurers = {name: Insurer.objects.get_or_create(name=name)[0] for name in (NORTHSHIRE, CASTLE)}
    for name, region, insurer_name, starts_on in DEMO_PROVIDERS:
        provider, _ = Provider.objects.get_or_create(name=name, region=region)
        if insurer_name:
            Coverage.objects.get_or_create(
                provider=provider, insurer=insurers[insurer_name], starts_on=starts_on
            )
    users = {account.email: _demo_user(account, insurers) for account in DEMO_ACCOUNTS}
    users["advocate@example.com"].advocate_verified_at = (
        users["advocate@example.com"].advocate_verified_at or timezone.now()
    )
    users["advocate@example.com"].save(update_fields=["advocate_verified_at"])
    team, _ = Team.objects.get_or_create(insurer=insurers[NORTHSHIRE], name="General claims")
    team.lead = users["lead@example.com"]
    team.save(update_fields=["lead"])
    team.members.add(users["adjuster@example.com"])
    castle_team, _ = Team.objects.get_or_create(insurer=insurers[CASTLE], name="General claims")
    castle_team.members.add(users["adjuster@castle.example.com"])
    for email in ("adjuster@example.com", "adjuster@castle.example.com"):
        AdjusterProfile.objects.get_or_create(user=users[email], defaults={"capacity": 20})
    _demo_rules(insurers[NORTHSHIRE], team, serious_first=True)
    _demo_rules(insurers[CASTLE], castle_team, serious_first=False)
    for day, name in DEMO_HOLIDAYS:
        Holiday.objects.get_or_create(date=day, defaults={"name": name})
    _demo_claim(users["patient@example.com"])
    _demo_authority(users["patient@example.com"], users["advocate@example.com"])
    return DEMO_ACCOUNTS


def _demo_claim(patient: User) -> None:
    """One submitted claim for the demo patient (routed to the demo adjuster by the worker),
    unless they already have claims."""
    if Claim.objects.filter(claimant=patient).exists():
        return
    provider = Provider.objects.get(name="Riverside Clinic")
    draft = Claim.objects.create(
        claimant=patient,
        date_of_birth=datetime.date(1984, 2, 9),
        phone="07700 900456",
        address="12 Mill Lane\nManchester\nM4 2AB",
        provider=provider,
        incident_date=timezone.localdate() - datetime.timedelta(days=200),
        knowledge_date=timezone.localdate() - datetime.timedelta(days=150),
        harm_category="medication",
        description="Demo claim: the wrong dose of a medicine was given on the ward.",
        severity="moderate",
        injuries="Demo claim: two extra weeks in hospital.",
        ongoing_treatment=False,
        statement_of_truth=True,
        consent_to_share=True,
        consent_to_records=True,
    )
    claim_submit(claim=draft, user=patient)


def _demo_authority(patient: User, advocate: User) -> None:
    """The demo advocate acts for the demo patient on all their claims, with every scope."""
    if Authority.objects.in_force().filter(patient=patient, advocate=advocate).exists():
        return
    Authority.objects.create(
        patient=patient,
        advocate=advocate,
        invited_email=advocate.email,
        accepted_at=timezone.now(),
        **dict.fromkeys(AUTHORITY_SCOPES, True),
    )


DEMO_HOLIDAYS = [
    (datetime.date(2026, 12, 25), "Christmas Day"),
    (datetime.date(2026, 12, 28), "Boxing Day (substitute day)"),
    (datetime.date(2027, 1, 1), "New Year's Day"),
]


def _demo_rules(insurer: Insurer, team: Team, *, serious_first: bool) -> None:
    """A default rule for every insurer; Northshire also fast-tracks the most serious harm."""
    if serious_first:
        RoutingRule.objects.get_or_create(
            insurer=insurer,
            position=1,
            defaults={
                "name": "Death or permanent harm",
                "severities": ["death", "severe"],
                "team": team,
                "priority": Priority.URGENT,
                "days_to_acknowledge": 2,
                "days_to_decide": 40,
            },
        )
    RoutingRule.objects.get_or_create(
        insurer=insurer,
        is_default=True,
        defaults={"name": "Everything else", "position": 99, "team": team},
    )


def _demo_user(account: DemoAccount, insurers: dict[str, Insurer]) -> User:
    user = User.objects.filter(email=account.email).first() or User(email=account.email)
    user.full_name = account.full_name
    user.role = account.role
    user.insurer = insurers[account.insurer] if account.insurer else None
    user.is_staff = user.is_superuser = account.role == Role.ADMINISTRATOR
    user.is_active = True
    user.set_password(DEMO_PASSWORD)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=account.email, defaults={"verified": True, "primary": True}
    )
    if (
        user.requires_mfa
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    ):
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user
