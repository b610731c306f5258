"""Make the audit log append-only in the database itself, not only in the ORM and admin."""

from django.db import migrations

POSTGRESQL_FORWARD = """
CREATE FUNCTION portal_audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_audit_event_no_update_or_delete
    BEFORE UPDATE OR DELETE ON portal_auditevent
    FOR EACH ROW EXECUTE FUNCTION portal_audit_event_append_only();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS portal_audit_event_no_update_or_delete ON portal_auditevent;
DROP FUNCTION IF EXISTS portal_audit_event_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER portal_audit_event_no_update BEFORE UPDATE ON portal_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER portal_audit_event_no_delete BEFORE DELETE ON portal_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS portal_audit_event_no_update;",
    "DROP TRIGGER IF EXISTS portal_audit_event_no_delete;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": [POSTGRESQL_FORWARD], "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": [POSTGRESQL_REVERSE], "sqlite": SQLITE_REVERSE}),
        ),
    ]
