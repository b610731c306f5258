import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def due_since_upload(apps, schema_editor):
    """Documents already waiting are due since their upload, so the sweeper takes them up."""
    Document = apps.get_model("documents", "Document")
    Document.objects.update(scan_due_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="scan_due_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(due_since_upload, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                fields=["scan_status", "scan_due_at"], name="document_status_due_idx"
            ),
        ),
    ]
