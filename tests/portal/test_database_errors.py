"""Which database errors pass with time, tried on the real databases."""

import contextlib
import sqlite3

import pytest
from django.db import DatabaseError, OperationalError, connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from portal.database_errors import is_transient


def _sqlite_error(path, sql: str) -> DatabaseError:
    """Run `sql` through Django's SQLite backend on the file at `path`; return what it raised."""
    wrapper = SQLiteWrapper({**connection.settings_dict, "ENGINE": "django.db.backends.sqlite3",
                             "NAME": str(path), "OPTIONS": {"timeout": 0.1}})  # fmt: skip
    try:
        with wrapper.cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError as error:
        return error
    finally:
        wrapper.close()
    pytest.fail(f"{sql} did not fail")


def test_a_locked_sqlite_database_passes_and_a_missing_table_does_not(tmp_path, django_db_blocker):
    path = tmp_path / "locked.sqlite3"
    with (
        django_db_blocker.unblock(),
        contextlib.closing(sqlite3.connect(path, isolation_level=None)) as holder,
    ):
        holder.execute("CREATE TABLE things (id integer)")
        holder.execute("BEGIN EXCLUSIVE")
        locked = _sqlite_error(path, "INSERT INTO things VALUES (1)")
        holder.execute("COMMIT")
        missing = _sqlite_error(path, "INSERT INTO nothing VALUES (1)")

    assert isinstance(locked, OperationalError) and is_transient(locked)
    assert isinstance(missing, OperationalError) and not is_transient(missing)


def _postgres_error(sql: str) -> DatabaseError:
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError as error:
        return error
    pytest.fail(f"{sql} did not fail")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("code", "passes"),
    [("40001", True), ("40P01", True), ("57P01", True), ("08006", True), ("42P01", False)],
)
def test_postgresql_errors_pass_by_their_code(code, passes):
    error = _postgres_error(
        f"DO $$ BEGIN RAISE EXCEPTION 'raised by the test' USING ERRCODE = '{code}'; END $$"
    )
    assert is_transient(error) is passes


def test_a_postgresql_server_that_does_not_answer_passes(django_db_blocker):
    from django.db.backends.postgresql.base import DatabaseWrapper

    closed = DatabaseWrapper({**connection.settings_dict, "PORT": "1", "NAME": "nothing"})
    try:
        with django_db_blocker.unblock():
            closed.ensure_connection()
    except OperationalError as error:
        assert is_transient(error)
    else:
        pytest.fail("connected to a closed port")
    finally:
        closed.close()


def test_an_integrity_error_does_not_pass():
    from django.db import IntegrityError

    assert not is_transient(IntegrityError("duplicate key"))
