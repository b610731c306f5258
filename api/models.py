"""The API's clients and keys (and, in webhooks_models.py, the webhooks' endpoints and outbox)."""
