"""Which routing rule a claim matches, and that rule described in words."""

import datetime
from collections.abc import Iterable

from intake.models import Claim, HarmCategory
from triage.models import RoutingRule


def rule_matches(rule: RoutingRule, claim: Claim, *, today: datetime.date) -> bool:
    """Every condition the rule sets holds for the claim (an unset condition always holds)."""
    if rule.is_default:
        return True
    amount = claim.claimed_amount
    days_left = (claim.limitation_deadline - today).days if claim.limitation_deadline else None
    checks = [
        not rule.harm_categories or claim.harm_category in rule.harm_categories,
        not rule.severities or claim.severity in rule.severities,
        not rule.provider_id or claim.provider_id == rule.provider_id,
        not rule.region or (claim.provider_id and claim.provider.region == rule.region),
        rule.min_claimed_amount is None
        or (amount is not None and amount >= rule.min_claimed_amount),
        rule.max_claimed_amount is None
        or (amount is not None and amount <= rule.max_claimed_amount),
        rule.max_days_to_limitation is None
        or (days_left is not None and days_left <= rule.max_days_to_limitation),
    ]
    return all(checks)


def first_matching_rule(
    *, rules: Iterable[RoutingRule], claim: Claim, today: datetime.date
) -> RoutingRule | None:
    """The first rule by position that matches; the default rule goes last whatever its place."""
    ordered = sorted(rules, key=lambda rule: (rule.is_default, rule.position))
    return next((rule for rule in ordered if rule_matches(rule, claim, today=today)), None)


def rule_summary(rule: RoutingRule) -> str:
    """'rule 3: severity death' — the rule's place and what it looks for."""
    return f"rule {rule.position}: {rule_conditions(rule)}"


def rule_conditions(rule: RoutingRule) -> str:
    if rule.is_default:
        return "default"
    parts = []
    if rule.harm_categories:
        parts.append("harm " + " or ".join(_labels(HarmCategory, rule.harm_categories)))
    if rule.severities:
        parts.append("severity " + " or ".join(rule.severities))
    if rule.provider_id:
        parts.append(f"provider {rule.provider.name}")
    if rule.region:
        parts.append(f"region {rule.region}")
    if rule.min_claimed_amount is not None:
        parts.append(f"claimed ≥ £{rule.min_claimed_amount:,.0f}")
    if rule.max_claimed_amount is not None:
        parts.append(f"claimed ≤ £{rule.max_claimed_amount:,.0f}")
    if rule.max_days_to_limitation is not None:
        parts.append(f"≤ {rule.max_days_to_limitation} days to the limitation deadline")
    return ", ".join(parts) or "any claim"


def _labels(choices, values: list[str]) -> list[str]:
    return [
        str(choices(value).label).lower() if value in choices.values else value for value in values
    ]
