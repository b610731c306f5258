"""Writes for the API's clients and keys: registering a client with its service user, issuing,
rotating and revoking keys, revoking a client. Every change is audited."""

import datetime
import uuid

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from api.models import ApiClient, ApiClientKey
from api.scopes import CLAIMS_WRITE, WRITE_PERMISSION
from portal.models import AuditAction, Insurer, Role, User
from portal.services import audit_event_record


def _write_permission() -> Permission:
    app_label, codename = WRITE_PERMISSION.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _service_user_sync(client: ApiClient) -> None:
    """The service user follows its client: active while the client is not revoked, holding the
    write permission exactly while the client has claims:write (the access doors read it)."""
    user = client.service_user
    active = not client.is_revoked
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
    if CLAIMS_WRITE in client.scopes and active:
        user.user_permissions.add(_write_permission())
    else:
        user.user_permissions.remove(_write_permission())
    # The permission cache on this instance would otherwise answer with the old scopes.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


@transaction.atomic
def api_client_create(
    *, name: str, insurer: Insurer, scopes: list[str], actor: User | None
) -> ApiClient:
    """Register a client of `insurer` with its service user, which can never sign in on the web
    (no usable password; the sign-in adapter refuses the role too)."""
    user = User(
        email=f"api-client-{uuid.uuid4().hex}@api-clients.invalid",
        full_name=f"API client: {name}"[:200],
        role=Role.API_CLIENT,
        insurer=insurer,
    )
    user.set_unusable_password()
    user.save()
    client = ApiClient(name=name, insurer=insurer, scopes=list(scopes), service_user=user)
    client.full_clean()
    client.save()
    _service_user_sync(client)
    audit_event_record(
        action=AuditAction.CREATE, actor=actor, obj=client, detail={"scopes": client.scopes}
    )
    return client


@transaction.atomic
def api_client_save(*, client: ApiClient, actor: User | None) -> ApiClient:
    """Save a client changed in the admin (name, scopes), keeping its service user in step."""
    client.full_clean()
    client.save()
    _service_user_sync(client)
    audit_event_record(
        action=AuditAction.CHANGE, actor=actor, obj=client, detail={"scopes": client.scopes}
    )
    return client


@transaction.atomic
def api_client_key_issue(
    *, client: ApiClient, actor: User | None, name: str = ""
) -> tuple[ApiClientKey, str]:
    """A new key for `client`; returns the key row and the key itself, which is shown once and
    never stored (only its hash). Earlier keys stay valid: that is a rotation, ended by revoking
    the old key (api_client_key_revoke) or by its expiry date."""
    if client.is_revoked:
        raise ValueError("A revoked client cannot be given a key.")
    key_row, key = ApiClientKey.objects.create_key(
        client=client, name=(name or f"{client.name} key")[:50]
    )
    audit_event_record(
        action=AuditAction.CREATE,
        actor=actor,
        obj=key_row,
        object_id=key_row.prefix,
        detail={"client": client.pk},
    )
    return key_row, key


@transaction.atomic
def api_client_key_revoke(
    *, key_row: ApiClientKey, actor: User | None, expires_at: datetime.datetime | None = None
) -> ApiClientKey:
    """Revoke a key now, or (with `expires_at`) let it run until then, ending a rotation."""
    if expires_at is None:
        key_row.revoked = True
    else:
        key_row.expiry_date = expires_at
    key_row.save()
    audit_event_record(
        action=AuditAction.CHANGE,
        actor=actor,
        object_type=key_row._meta.label_lower,
        object_id=key_row.prefix,
        detail={
            "client": key_row.client_id,
            "revoked": key_row.revoked,
            "expires": bool(expires_at),
        },
    )
    return key_row


@transaction.atomic
def api_client_revoke(*, client: ApiClient, actor: User | None) -> ApiClient:
    """End a client: every key revoked and its service user deactivated, so nothing it holds
    opens anything any more."""
    client.revoked_at = client.revoked_at or timezone.now()
    client.save(update_fields=["revoked_at"])
    client.keys.filter(revoked=False).update(revoked=True)
    _service_user_sync(client)
    audit_event_record(action=AuditAction.CHANGE, actor=actor, obj=client, detail={"revoked": True})
    return client


def api_client_mark_used(*, client: ApiClient, now: datetime.datetime) -> None:
    """Keep the client's last use, writing at most once a minute however busy it is."""
    if client.last_used_at is not None and now - client.last_used_at < datetime.timedelta(
        minutes=1
    ):
        return
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    client.last_used_at = now
