"""A real Celery worker for the integration tests, consuming from the real broker and writing
to the test database."""

import pytest
from django.db import connection

from tests.worker import database_url, running_worker


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """One worker on every queue for the session. The emails it sends are written to files in
    `worker.mail_dir`, for tests to read."""
    with django_db_blocker.unblock():
        database = database_url(connection.settings_dict)
    mail_dir = tmp_path_factory.getbasetemp() / "worker-mail"
    mail_dir.mkdir(exist_ok=True)
    with running_worker(
        database=database,
        log_dir=tmp_path_factory.mktemp("worker"),
        name="test-worker",
        queues="default,scan,notify",
        env={"EMAIL_URL": f"filemail://{mail_dir}", "EMAIL_BACKEND": ""},
    ) as worker:
        worker.mail_dir = mail_dir
        yield worker
