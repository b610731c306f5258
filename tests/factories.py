import datetime

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from portal.models import Coverage, Insurer, Provider, Role, User

PASSWORD = "correct-horse-battery-9"


class InsurerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Insurer

    name = factory.Sequence(lambda n: f"Insurer {n}")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Provider {n}")
    region = "North West"


class CoverageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coverage

    provider = factory.SubFactory(ProviderFactory)
    insurer = factory.SubFactory(InsurerFactory)
    starts_on = datetime.date(2020, 1, 1)
    ends_on = None


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a verified email address and the password PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    role = Role.PATIENT
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class AdvocateFactory(UserFactory):
    role = Role.ADVOCATE


class AdjusterFactory(UserFactory):
    role = Role.ADJUSTER
    insurer = factory.SubFactory(InsurerFactory)


class TriageLeadFactory(AdjusterFactory):
    role = Role.TRIAGE_LEAD


class AdministratorFactory(UserFactory):
    role = Role.ADMINISTRATOR
    is_staff = True
    is_superuser = True


def enrol_totp(user: User) -> str:
    """Give `user` a TOTP authenticator; returns its secret so a test can compute codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


# --- Intake -------------------------------------------------------------------------------------


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim in any status; a non-draft gets a placeholder reference, which the database
    requires once a claim has left the draft (real ones come from `claim_submit`)."""

    class Meta:
        model = "intake.Claim"

    claimant = factory.SubFactory(UserFactory)
    status = "draft"
    reference = factory.LazyAttributeSequence(
        lambda o, n: None if o.status == "draft" else f"TEST-{n:06d}"
    )


class AuthorityFactory(factory.django.DjangoModelFactory):
    """An authority in force: accepted by an advocate, over all of the patient's claims unless
    `claim` is given, with every scope unless told otherwise."""

    class Meta:
        model = "intake.Authority"

    patient = factory.SubFactory(UserFactory)
    advocate = factory.SubFactory("tests.factories.AdvocateFactory")
    invited_email = factory.LazyAttribute(lambda o: o.advocate.email if o.advocate else "a@b.c")
    accepted_at = factory.LazyFunction(timezone.now)
    may_view_documents = True
    may_upload_documents = True
    may_message = True
    receives_updates = True
    may_answer_offers = True


def authority_for(claim, *, advocate=None, **scopes):
    """An advocate (new unless given) holding an authority in force over `claim`."""
    advocate = advocate or AdvocateFactory()
    AuthorityFactory(patient=claim.claimant, advocate=advocate, claim=claim, **scopes)
    return advocate


def draft_answers() -> dict:
    """Every required answer of a draft but the provider, as a patient would give them."""
    return {
        "date_of_birth": datetime.date(1980, 5, 17),
        "phone": "07700 900123",
        "address": "1 High Street\nManchester\nM1 1AA",
        "incident_date": datetime.date(2024, 3, 4),
        "knowledge_date": datetime.date(2024, 6, 10),
        "harm_category": "surgical",
        "description": "The wrong knee was operated on.",
        "severity": "moderate",
        "injuries": "A scar and months of physiotherapy.",
        "ongoing_treatment": False,
        "statement_of_truth": True,
        "consent_to_share": True,
        "consent_to_records": True,
    }


def complete_draft(patient: User, **answers):
    """A draft of `patient`'s with every required answer given; `answers` override any of them.

    Losses are left empty, as a patient with none would; the provider is an active one in the
    default jurisdiction unless `provider` (or `provider_not_listed`) is given.
    """
    if "provider" not in answers and "provider_not_listed" not in answers:
        answers["provider"] = ProviderFactory()
    return ClaimFactory(claimant=patient, status="draft", **{**draft_answers(), **answers})


# --- Triage -------------------------------------------------------------------------------------
# Models named by label: imports here, after the code above, would break import order.


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "triage.Team"

    insurer = factory.SubFactory(InsurerFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class AdjusterProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "triage.AdjusterProfile"

    user = factory.SubFactory(AdjusterFactory)
    capacity = 20


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    """A rule of the insurer's that sends claims to one of the insurer's teams."""

    class Meta:
        model = "triage.RoutingRule"

    insurer = factory.SubFactory(InsurerFactory)
    position = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Rule {n}")
    team = factory.SubFactory(TeamFactory, insurer=factory.SelfAttribute("..insurer"))


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "triage.Holiday"
        django_get_or_create = ("date",)

    date = factory.Sequence(lambda n: datetime.date(2030, 1, 1) + datetime.timedelta(days=n))
    name = "Bank holiday"
