"""The API's admin pages."""

from api import webhooks_admin  # noqa: F401 - registers the webhooks' admin
