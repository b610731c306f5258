import datetime

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

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
