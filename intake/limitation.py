"""Limitation deadlines: by when a claim must be brought, under the provider's jurisdiction."""

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings


@dataclass(frozen=True)
class LimitationRule:
    years_from_knowledge: int
    age_of_majority: int
    years_after_majority: int


def limitation_rule(jurisdiction: str | None) -> LimitationRule:
    """The rule for `jurisdiction`, or the default jurisdiction's when it has none configured."""
    rules = settings.LIMITATION_RULES
    return LimitationRule(**rules.get(jurisdiction or "") or rules[settings.DEFAULT_JURISDICTION])


def limitation_deadline(
    *,
    knowledge_date: datetime.date,
    incident_date: datetime.date,
    date_of_birth: datetime.date | None,
    jurisdiction: str | None = None,
) -> datetime.date:
    """The last day to bring the claim.

    From the date of knowledge; for a patient harmed as a minor, from their coming of age when
    that ends later (time does not run against a child).
    """
    rule = limitation_rule(jurisdiction)
    deadline = knowledge_date + relativedelta(years=rule.years_from_knowledge)
    if date_of_birth is not None:
        majority = date_of_birth + relativedelta(years=rule.age_of_majority)
        if incident_date < majority:
            deadline = max(deadline, majority + relativedelta(years=rule.years_after_majority))
    return deadline


def limitation_is_near(deadline: datetime.date, *, today: datetime.date) -> bool:
    """True when the deadline is past or closer than the warning period."""
    return deadline < today + relativedelta(months=settings.LIMITATION_WARNING_MONTHS)
