"""The demo data `make run` seeds: safe to run again, and the demo advocate acts for the demo
patient."""

import pytest

from intake.models import Authority, Claim, ClaimStatus
from portal import access
from portal.demo import seed_demo_data
from portal.models import User

pytestmark = pytest.mark.django_db


def test_the_seed_can_run_twice_and_the_demo_advocate_follows_the_demo_patients_claim():
    seed_demo_data()
    seed_demo_data()

    patient = User.objects.get(email="patient@example.com")
    advocate = User.objects.get(email="advocate@example.com")
    (claim,) = Claim.objects.filter(claimant=patient)
    assert claim.status == ClaimStatus.SUBMITTED and claim.reference
    assert Authority.objects.in_force().filter(patient=patient, advocate=advocate).count() == 1
    assert list(access.claims_visible_to(advocate)) == [claim]
    assert access.advocate_may(advocate, claim, "receives_updates")
