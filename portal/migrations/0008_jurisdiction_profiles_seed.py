"""The jurisdiction profiles the portal starts with; administrators change them in the admin."""

from django.db import migrations

PROFILES = [
    {
        "code": "england-wales",
        "name": "England and Wales",
        "rules_source": (
            "Pre-Action Protocol for the Resolution of Clinical Disputes: acknowledge within 14 "
            "days, a reasoned response within 4 months, copies of health records within 40 days"
        ),
        "days_to_acknowledge": 14,
        "months_to_respond": 4,
        "days_for_records": 40,
        "days_to_answer_offer": 21,
        "months_to_ask_for_review": 1,
    },
    {
        "code": "scotland",
        "name": "Scotland",
        "rules_source": "Taken from England and Wales until the insurer sets its own",
        "days_to_acknowledge": 14,
        "months_to_respond": 4,
        "days_for_records": 40,
        "days_to_answer_offer": 21,
        "months_to_ask_for_review": 1,
    },
    {
        "code": "denmark",
        "name": "Denmark",
        "rules_source": "Patienterstatningen: 1 month to appeal a decision to the appeals board",
        "days_to_acknowledge": 14,
        "months_to_respond": 6,
        "days_for_records": 30,
        "days_to_answer_offer": 30,
        "months_to_ask_for_review": 1,
    },
    {
        "code": "sweden",
        "name": "Sweden",
        "rules_source": "Patientskadenämnden: 6 months to ask the board to review a decision",
        "days_to_acknowledge": 14,
        "months_to_respond": 6,
        "days_for_records": 30,
        "days_to_answer_offer": 30,
        "months_to_ask_for_review": 6,
    },
]


def seed(apps, schema_editor):
    profiles = apps.get_model("portal", "JurisdictionProfile")
    for profile in PROFILES:
        profiles.objects.update_or_create(code=profile["code"], defaults=profile)


class Migration(migrations.Migration):
    dependencies = [("portal", "0007_jurisdictionprofile")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
