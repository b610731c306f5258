"""The offers tasks (imported by resolution/tasks.py for autodiscovery): the hourly sweeps that
warn of offers about to lapse and lapse those past their date. Both are idempotent (each offer is
locked and re-checked), so a repeated or overlapping run changes nothing twice."""

from celery import shared_task

from resolution import offers


@shared_task(acks_late=True, ignore_result=True)
def offers_lapse_due_task() -> int:
    """Beat: lapse the open offers whose answer-by date has passed."""
    return offers.offers_lapse_due()


@shared_task(acks_late=True, ignore_result=True)
def offers_warn_lapsing_task() -> int:
    """Beat: tell the patient's side, once per offer, that it ends soon."""
    return offers.offers_warn_lapsing()
