"""Bring rules and profiles saved before the bounds existed inside them (see 0005)."""

from decimal import Decimal

from django.db import migrations, models

DAYS_MAX = 3650
AMOUNT_MAX = Decimal("999999999.99")


def clamp_to_bounds(apps, schema_editor):
    RoutingRule = apps.get_model("triage", "RoutingRule")
    AdjusterProfile = apps.get_model("triage", "AdjusterProfile")
    rules = RoutingRule.objects
    for field in ("days_to_acknowledge", "days_to_decide"):
        rules.filter(**{f"{field}__lt": 1}).update(**{field: 1})
        rules.filter(**{f"{field}__gt": DAYS_MAX}).update(**{field: DAYS_MAX})
    rules.filter(max_days_to_limitation__gt=DAYS_MAX).update(max_days_to_limitation=DAYS_MAX)
    for field in ("min_claimed_amount", "max_claimed_amount"):
        rules.filter(**{f"{field}__lt": 0}).update(**{field: 0})
        rules.filter(**{f"{field}__gt": AMOUNT_MAX}).update(**{field: AMOUNT_MAX})
    rules.filter(min_claimed_amount__gt=models.F("max_claimed_amount")).update(
        max_claimed_amount=models.F("min_claimed_amount")
    )
    rules.filter(priority__lt=1).update(priority=1)
    rules.filter(priority__gt=4).update(priority=4)
    AdjusterProfile.objects.filter(capacity__gt=1000).update(capacity=1000)
    # Positions are unique per insurer, so out-of-range ones are renumbered, not clamped.
    for rule in rules.filter(models.Q(position__lt=1) | models.Q(position__gt=9999)):
        taken = set(rules.filter(insurer_id=rule.insurer_id).values_list("position", flat=True))
        rule.position = next(p for p in range(9999, 0, -1) if p not in taken)
        rule.save(update_fields=["position"])


class Migration(migrations.Migration):
    dependencies = [
        ("triage", "0003_claimnote"),
    ]

    operations = [
        migrations.RunPython(clamp_to_bounds, migrations.RunPython.noop),
    ]
