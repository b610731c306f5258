"""The question pages of the harm report, in order, and what makes each one complete."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from intake import forms as step_forms
from intake.models import Claim


@dataclass(frozen=True)
class Step:
    slug: str
    title: Promise
    form_class: type[forms.BaseForm]
    is_complete: Callable[[Claim], bool]


STEPS: tuple[Step, ...] = (
    Step(
        "about-you",
        _("About you"),
        step_forms.AboutYouForm,
        lambda c: bool(c.date_of_birth and c.phone and c.address),
    ),
    Step(
        "provider",
        _("Where the care happened"),
        step_forms.ProviderForm,
        lambda c: bool(c.provider_id or c.provider_not_listed),
    ),
    Step(
        "what-happened",
        _("What happened"),
        step_forms.WhatHappenedForm,
        lambda c: bool(c.incident_date and c.knowledge_date and c.harm_category and c.description),
    ),
    Step(
        "the-harm",
        _("The harm"),
        step_forms.HarmForm,
        lambda c: bool(c.severity and c.injuries and c.ongoing_treatment is not None),
    ),
    # Losses are optional: a patient may have had none.
    Step("losses", _("Your losses"), step_forms.LossesForm, lambda c: True),
    Step(
        "declaration",
        _("Declaration"),
        step_forms.DeclarationForm,
        lambda c: c.statement_of_truth and c.consent_to_share and c.consent_to_records,
    ),
)
STEPS_BY_SLUG = {step.slug: step for step in STEPS}
#: Everything a patient's answers may change on a draft (and nothing else, such as its status).
DRAFT_FIELDS = frozenset(
    {
        "date_of_birth",
        "phone",
        "address",
        "nhs_number",
        "provider",
        "provider_not_listed",
        "incident_date",
        "knowledge_date",
        "harm_category",
        "description",
        "severity",
        "injuries",
        "ongoing_treatment",
        "losses",
        "time_off_work_days",
        "statement_of_truth",
        "consent_to_share",
        "consent_to_records",
        "duplicate_acknowledged",
    }
)


def step_after(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def step_before(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None


def missing_steps(claim: Claim) -> list[Step]:
    """The steps whose required answers are not all given yet."""
    return [step for step in STEPS if not step.is_complete(claim)]


def first_unfinished_step(claim: Claim) -> Step:
    """Where a patient resuming a draft should continue."""
    missing = missing_steps(claim)
    return missing[0] if missing else STEPS[-1]
