"""The integration tests' real Celery worker is the session's one, `celery_worker`, in
tests/conftest.py: a second worker on the same broker would take some of the tasks."""
