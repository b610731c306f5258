"""Simulated patients for the load benchmark (bench/load.py runs this with locust, headless).

Each simulated patient signs in once as an account of its own (LOAD_PATIENTS, comma-separated),
from an address of its own, then files claims through every question page, one after another.
A journey that goes wrong without an HTTP error (a page that refused the answers) is reported
to locust as a failure too.
"""

import itertools
import os

from locust import HttpUser, between, events, task

from tests.http_patient import HttpPatient

PATIENTS = os.environ.get("LOAD_PATIENTS", "").split(",")
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
_next_patient = itertools.count()


class Patient(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        number = next(_next_patient)
        self.claims_filed = 0
        self.patient = HttpPatient(
            self.client,
            "",
            PATIENTS[number % len(PATIENTS)],
            PASSWORD,
            address=f"127.0.{3 + number // 250}.{1 + number % 250}",
        )
        self._report(self.patient.sign_in(), "sign in")

    @task
    def file_a_claim(self):
        # A date of its own for each claim, so the duplicate check does not stop the journey.
        month, day = divmod(self.claims_filed, 28)
        self.claims_filed += 1
        claim_id = self.patient.file_claim(incident_date=f"2024-{1 + month % 12:02d}-{1 + day:02d}")
        self._report(claim_id is not None, "file a claim")

    def _report(self, succeeded: bool, journey: str) -> None:
        if succeeded and not self.patient.failures:
            return
        problem = "; ".join(self.patient.failures) or f"{journey} did not finish"
        self.patient.failures.clear()
        events.request.fire(
            request_type="JOURNEY",
            name=journey,
            response_time=0,
            response_length=0,
            exception=RuntimeError(problem),
            context={},
        )
