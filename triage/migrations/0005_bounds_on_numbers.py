from decimal import Decimal

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from 0004, so that on PostgreSQL the rows it changed are settled before the tables
    # are altered.
    dependencies = [
        ("triage", "0004_numbers_within_bounds"),
    ]

    operations = [
        migrations.AlterField(
            model_name="adjusterprofile",
            name="capacity",
            field=models.PositiveIntegerField(
                default=20,
                validators=[django.core.validators.MaxValueValidator(1000)],
                verbose_name="capacity (open claims)",
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="days_to_acknowledge",
            field=models.PositiveIntegerField(
                default=5,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(3650),
                ],
                verbose_name="business days to acknowledge",
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="days_to_decide",
            field=models.PositiveIntegerField(
                default=60,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(3650),
                ],
                verbose_name="business days to decide",
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="max_claimed_amount",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=12,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(Decimal("999999999.99")),
                ],
                verbose_name="claimed amount up to",
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="max_days_to_limitation",
            field=models.PositiveIntegerField(
                blank=True,
                null=True,
                validators=[django.core.validators.MaxValueValidator(3650)],
                verbose_name="days left before the limitation deadline, at most",
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="min_claimed_amount",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=12,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(Decimal("999999999.99")),
                ],
                verbose_name="claimed amount from",
            ),
        ),
        migrations.AlterField(
            model_name="routingrule",
            name="position",
            field=models.PositiveIntegerField(
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(9999),
                ],
                verbose_name="position",
            ),
        ),
        migrations.AddConstraint(
            model_name="adjusterprofile",
            constraint=models.CheckConstraint(
                condition=models.Q(("capacity__gte", 0), ("capacity__lte", 1000)),
                name="profile_capacity_bounds",
            ),
        ),
        migrations.AddConstraint(
            model_name="routingrule",
            constraint=models.CheckConstraint(
                condition=models.Q(("position__gte", 1), ("position__lte", 9999)),
                name="rule_position_bounds",
            ),
        ),
        migrations.AddConstraint(
            model_name="routingrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("days_to_acknowledge__gte", 1), ("days_to_acknowledge__lte", 3650)
                ),
                name="rule_days_to_acknowledge_bounds",
            ),
        ),
        migrations.AddConstraint(
            model_name="routingrule",
            constraint=models.CheckConstraint(
                condition=models.Q(("days_to_decide__gte", 1), ("days_to_decide__lte", 3650)),
                name="rule_days_to_decide_bounds",
            ),
        ),
        migrations.AddConstraint(
            model_name="routingrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("min_claimed_amount__isnull", True),
                    models.Q(
                        ("min_claimed_amount__gte", 0),
                        ("min_claimed_amount__lte", Decimal("999999999.99")),
                    ),
                    _connector="OR",
                ),
                name="rule_min_claimed_amount_bounds",
            ),
        ),
        migrations.AddConstraint(
            model_name="routingrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("max_claimed_amount__isnull", True),
                    models.Q(
                        ("max_claimed_amount__gte", 0),
                        ("max_claimed_amount__lte", Decimal("999999999.99")),
                    ),
                    _connector="OR",
                ),
                name="rule_max_claimed_amount_bounds",
            ),
        ),
        migrations.AddConstraint(
            model_name="routingrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("max_days_to_limitation__isnull", True),
                    models.Q(
                        ("max_days_to_limitation__gte", 0), ("max_days_to_limitation__lte", 3650)
                    ),
                    _connector="OR",
                ),
                name="rule_max_days_to_limitation_bounds",
            ),
        ),
        migrations.AddConstraint(
            model_name="routingrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("min_claimed_amount__isnull", True),
                    ("max_claimed_amount__isnull", True),
                    ("min_claimed_amount__lte", models.F("max_claimed_amount")),
                    _connector="OR",
                ),
                name="rule_claimed_amount_range_ordered",
            ),
        ),
        migrations.AddConstraint(
            model_name="routingrule",
            constraint=models.CheckConstraint(
                condition=models.Q(("priority__in", [1, 2, 3, 4])), name="rule_priority_known"
            ),
        ),
    ]
