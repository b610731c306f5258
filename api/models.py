"""The API's clients and keys (and, in webhooks_models.py, the webhooks' endpoints and outbox)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from api.scopes import SCOPES


def _scopes_valid(value) -> None:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ValidationError(_("Scopes are a list of names."))
    unknown = sorted(set(value) - set(SCOPES))
    if unknown:
        raise ValidationError(
            _("Unknown scopes: %(names)s. Choose from %(known)s."),
            params={"names": ", ".join(unknown), "known": ", ".join(SCOPES)},
        )


class ApiClient(models.Model):
    """An insurer's system connected to the portal: it sees only that insurer's claims, acting
    as its own service user (a portal.User of role API client) so audit rows and the access
    doors have an actor."""

    name = models.CharField(_("name"), max_length=120)
    insurer = models.ForeignKey(
        "portal.Insurer",
        verbose_name=_("insurer"),
        on_delete=models.PROTECT,
        related_name="api_clients",
    )
    scopes = models.JSONField(
        _("scopes"),
        default=list,
        blank=True,
        validators=[_scopes_valid],
        help_text=_("Any of: %(scopes)s.") % {"scopes": ", ".join(SCOPES)},
    )
    service_user = models.OneToOneField(
        "portal.User",
        verbose_name=_("service user"),
        on_delete=models.PROTECT,
        related_name="api_client",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class ApiClientKey(AbstractAPIKey):
    """A key of an API client, hashed at rest (only its prefix is readable) and shown once.

    A rotation issues a second key; both work until the old one is revoked or its expiry date
    passes."""

    client = models.ForeignKey(
        ApiClient, verbose_name=_("client"), on_delete=models.CASCADE, related_name="keys"
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API client key")
        verbose_name_plural = _("API client keys")


class IdempotentRequest(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, so a repeat (same client, same
    key) gets it back and changes nothing twice. The unique row is inserted in the transaction
    that makes the change: a concurrent repeat waits on it, then reads the stored answer."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # What the key was first used for: a reuse for anything else is refused.
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    body_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="api_idempotent_client_key")
        ]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.key}"


# The webhooks models live in their own module; Django loads an app's models from this one.
from api.webhooks_models import WebhookDelivery, WebhookEndpoint  # noqa: E402, F401
