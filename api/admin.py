"""The API's admin pages."""

from api import (
    clients_admin,  # noqa: F401, E402 - registers the API clients' admin
    webhooks_admin,  # noqa: F401 - registers the webhooks' admin
)
