from django import template

from triage.matching import rule_conditions

register = template.Library()


@register.filter
def conditions(rule) -> str:
    """What a routing rule matches, in words."""
    return rule_conditions(rule)
