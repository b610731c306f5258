"""Refuse TRUNCATE of the audit log in the database, as 0002 refuses UPDATE and DELETE: a row
trigger never sees a TRUNCATE, so it takes a statement trigger (also fired when a TRUNCATE of
another table cascades into this one).

Superusers are let through. They could drop or disable the trigger anyway, so refusing them
protects nothing, and Django's test runner empties the database between transactional tests
with one TRUNCATE of every table, as the superuser the tests connect as. Every other role is
refused, the owner of the tables included; in production neither the application's role nor
the migrations' role is a superuser (see the README on database roles).

SQLite has no TRUNCATE: its "DELETE FROM" without a WHERE is refused by 0002's row trigger.
"""

from django.db import migrations

POSTGRESQL_FORWARD = """
CREATE FUNCTION portal_audit_event_no_truncate() RETURNS trigger AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: TRUNCATE is refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_audit_event_no_truncate
    BEFORE TRUNCATE ON portal_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION portal_audit_event_no_truncate();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS portal_audit_event_no_truncate ON portal_auditevent;
DROP FUNCTION IF EXISTS portal_audit_event_no_truncate();
"""


def _run(statement: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_alter_user_is_staff")]

    operations = [
        migrations.RunPython(_run(POSTGRESQL_FORWARD), _run(POSTGRESQL_REVERSE)),
    ]
