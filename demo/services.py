"""The demo data `make run` seeds: organisations and one account per role, idempotently."""

import datetime
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone

from intake.models import (
    AUTHORITY_SCOPES,
    OFFER_ROUND,
    Authority,
    Claim,
    ClaimStatus,
    ClaimStatusChange,
    Priority,
)
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
from resolution.models import Offer, OfferState, Payment, PaymentMethod, Reserve, Settlement
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
    _demo_book(insurers[NORTHSHIRE])
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


#: How many claims the dashboard's demo book holds, and what its references start with.
DEMO_BOOK_CLAIMS = 96
DEMO_BOOK_PREFIX = "DEMO-"
_BOOK_STATUSES = (
    ClaimStatus.ASSIGNED,
    ClaimStatus.UNDER_REVIEW,
    ClaimStatus.UNDER_REVIEW,
    ClaimStatus.INFORMATION_REQUESTED,
    ClaimStatus.OFFER_MADE,
    ClaimStatus.COUNTER_PROPOSED,
    ClaimStatus.SETTLED,
    ClaimStatus.CLOSED,
    ClaimStatus.DENIED,
    ClaimStatus.SUBMITTED,
    ClaimStatus.UNDER_REVIEW,
    ClaimStatus.WITHDRAWN,
)
_STILL_UNDECIDED = (ClaimStatus.UNDER_REVIEW, ClaimStatus.INFORMATION_REQUESTED)
_BOOK_CATEGORIES = ("surgical", "medication", "misdiagnosis", "maternity", "delayed_treatment")


def _demo_book(insurer: Insurer) -> None:
    """Northshire's book for the oversight dashboard and learning pages: claims across statuses,
    teams, providers and the last 40 weeks, with acknowledgements, offers, settlements, payments
    and reserves, written in bulk (no routing, no notifications). Three adjusters of a team of
    their own work them, so the demo adjuster's queue and routing stay as the tour says. Once:
    skipped when the book is there."""
    if Claim.objects.filter(reference__startswith=DEMO_BOOK_PREFIX).exists():
        return
    team, _ = Team.objects.get_or_create(insurer=insurer, name="Complex claims")
    adjusters = [
        _book_person(f"book-adjuster-{n}", name, Role.ADJUSTER, insurer)
        for n, name in (
            (1, "Priya Shah"),
            (2, "Tom Reilly"),
            (3, "Grace Mensah"),
        )
    ]
    for adjuster, capacity in zip(adjusters, (30, 22, 18), strict=True):
        AdjusterProfile.objects.get_or_create(user=adjuster, defaults={"capacity": capacity})
    team.members.add(*adjusters)
    patients = [
        _book_person(f"book-patient-{n}", f"Demo Patient {n}", Role.PATIENT) for n in range(8)
    ]
    providers = list(Provider.objects.filter(coverages__insurer=insurer).distinct())
    claims = Claim.objects.bulk_create(
        _book_claim(n, insurer, team, adjusters, patients, providers)
        for n in range(DEMO_BOOK_CLAIMS)
    )
    _book_history(claims, adjusters[0])


def _book_person(local: str, name: str, role: str, insurer: Insurer | None = None) -> User:
    """A person of the demo book: no password, so nobody signs in as them."""
    user, created = User.objects.get_or_create(
        email=f"{local}@example.invalid",
        defaults={"full_name": name, "role": role, "insurer": insurer},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _book_claim(n, insurer, team, adjusters, patients, providers) -> Claim:
    now = timezone.now()
    sent = now - datetime.timedelta(days=(n * 37) % 280, hours=n % 9)
    status = _BOOK_STATUSES[n % len(_BOOK_STATUSES)]
    routed = status not in (ClaimStatus.SUBMITTED,)
    return Claim(
        claimant=patients[n % len(patients)],
        status=status,
        reference=f"{DEMO_BOOK_PREFIX}{sent:%Y}-{n + 1:04d}",
        provider=providers[n % len(providers)],
        insurer=insurer,
        team=team if routed else None,
        assigned_adjuster=adjusters[n % len(adjusters)] if routed else None,
        priority=Priority.HIGH if n % 7 == 0 else Priority.NORMAL,
        incident_date=(sent - datetime.timedelta(days=120)).date(),
        knowledge_date=(sent - datetime.timedelta(days=60)).date(),
        harm_category=_BOOK_CATEGORIES[(n * 3) % len(_BOOK_CATEGORIES)],
        severity=("minor", "moderate", "moderate", "severe", "death")[n % 5],
        description="Demo book claim.",
        submitted_at=sent,
        acknowledge_by=(sent + datetime.timedelta(days=14)).date(),
        decide_by=(sent + datetime.timedelta(days=120)).date(),
        statement_of_truth=True,
        consent_to_share=True,
    )


def _book_history(claims: list[Claim], adjuster: User) -> None:
    """Acknowledgements (some late), offers, settlements, payments and reserves for the book."""
    moved = [c for c in claims if c.status not in (ClaimStatus.SUBMITTED, ClaimStatus.ASSIGNED)]
    ClaimStatusChange.objects.bulk_create(
        ClaimStatusChange(
            claim=c,
            from_status=ClaimStatus.ASSIGNED,
            to_status=ClaimStatus.UNDER_REVIEW,
            actor=adjuster,
            occurred_at=c.submitted_at + datetime.timedelta(days=(7, 12, 18)[i % 3]),
        )
        for i, c in enumerate(moved)
    )
    # The decision: an offer 45 days after sending, or a refusal 50 days (some after the
    # decide-by date, so the on-time chart has both).
    decided = [c for c in moved if c.status not in (*_STILL_UNDECIDED, ClaimStatus.WITHDRAWN)]
    ClaimStatusChange.objects.bulk_create(
        ClaimStatusChange(
            claim=c,
            from_status=ClaimStatus.UNDER_REVIEW,
            to_status=ClaimStatus.DENIED
            if c.status == ClaimStatus.DENIED
            else ClaimStatus.OFFER_MADE,
            actor=adjuster,
            occurred_at=c.submitted_at + datetime.timedelta(days=(45, 50, 130)[i % 3]),
        )
        for i, c in enumerate(decided)
    )
    offered = [
        c for c in claims if c.status in (*OFFER_ROUND, ClaimStatus.SETTLED, ClaimStatus.CLOSED)
    ]
    offers = Offer.objects.bulk_create(
        Offer(
            claim=c,
            round=1,
            made_by=adjuster,
            made_at=c.submitted_at + datetime.timedelta(days=45),
            amount=Decimal(8000 + 1500 * (i % 6)),
            respond_by=(c.submitted_at + datetime.timedelta(days=66)).date(),
            state=(
                OfferState.ACCEPTED
                if c.status in (ClaimStatus.SETTLED, ClaimStatus.CLOSED)
                else OfferState.COUNTERED
                if c.status == ClaimStatus.COUNTER_PROPOSED
                else OfferState.OPEN
            ),
        )
        for i, c in enumerate(offered)
    )
    by_claim = {c.pk: c for c in claims}
    settlements = Settlement.objects.bulk_create(
        Settlement(
            claim_id=o.claim_id,
            offer=o,
            amount=o.amount,
            agreed_by=by_claim[o.claim_id].claimant,
            agreed_at=o.made_at + datetime.timedelta(days=10),
        )
        for o in offers
        if o.state == OfferState.ACCEPTED
    )
    Payment.objects.bulk_create(
        Payment(
            settlement=s,
            amount=s.amount,
            paid_on=(s.agreed_at + datetime.timedelta(days=14)).date(),
            method=PaymentMethod.BANK_TRANSFER,
            finance_reference=f"DEMO-PAY-{n + 1}",
            recorded_by=adjuster,
        )
        for n, s in enumerate(settlements)
        if by_claim[s.claim_id].status == ClaimStatus.CLOSED
    )
    Reserve.objects.bulk_create(
        Reserve(
            claim=c,
            amount=Decimal(10000 + 2500 * (i % 5)),
            reason="Demo reserve.",
            set_by=adjuster,
            set_at=c.submitted_at + datetime.timedelta(days=20),
        )
        for i, c in enumerate(moved)
    )


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
