"""`Idempotency-Key` for every POST of the API (after the IETF httpapi draft): the first answer is
kept, a repeat with the same key gets it back (header `Idempotent-Replayed: true`) and changes
nothing; the same key with a different request is refused (422).

The key's row is inserted in the transaction that makes the change, before it: two concurrent
requests with one key both try the insert, the second waits on the unique index until the first
commits, then reads and returns the first answer. An unexpected error (500) rolls the row back
with the change, so the client may retry with the same key.

Keys are kept API_IDEMPOTENCY_DAYS (documented to clients): a daily purge deletes older rows in
batches, so the table holds about a week of POSTs rather than every POST ever made.
"""

import datetime
import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from api.models import ApiClient, IdempotentRequest
from api.problems import CONTENT_TYPE, PreconditionRequired, Unprocessable, exception_handler

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
#: Headers of the first answer given again with a replay.
KEPT_HEADERS = ("ETag", "Location")


def idempotent(view, request, run) -> Response:
    """Answer the POST `request` with `run()` once per Idempotency-Key; the stored answer after."""
    key = (request.headers.get(HEADER) or "").strip()
    if not key:
        raise PreconditionRequired(
            "Send an Idempotency-Key header with every POST (a new random value, such as a "
            "UUID, per change you mean to make; the same value when you retry it)."
        )
    if len(key) > MAX_KEY_LENGTH:
        raise Unprocessable(f"The Idempotency-Key must be at most {MAX_KEY_LENGTH} characters.")
    client: ApiClient = request.auth
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        record, created = _record_for(client=client, key=key, request=request, body=fingerprint)
        if not created:
            return _replay(record, request=request, body=fingerprint)
        response = _run_once(view, request, run)
        _store(record, response)
    return response


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _record_for(*, client: ApiClient, key: str, request, body: str):
    try:
        with transaction.atomic():
            record = IdempotentRequest.objects.create(
                client=client,
                key=key,
                method=request.method,
                path=request.path[:300],
                body_sha256=body,
            )
        return record, True
    except IntegrityError:
        # Another request with this key committed first (the insert waited for it).
        return IdempotentRequest.objects.get(client=client, key=key), False


def _replay(record: IdempotentRequest, *, request, body: str) -> Response:
    if (record.method, record.path, record.body_sha256) != (request.method, request.path, body):
        raise Unprocessable(
            "This Idempotency-Key was already used for a different request. Use a new key for "
            "a new change; reuse a key only to retry exactly the same request."
        )
    headers = {**record.response_headers, "Idempotent-Replayed": "true"}
    content_type = headers.pop("Content-Type", None)
    return Response(
        record.response_body, status=record.status_code, headers=headers, content_type=content_type
    )


def _run_once(view, request, run) -> Response:
    """The change, in a savepoint: a refused change is undone but its answer (and the audit
    rows written after the undo) stay, so a repeat is refused the same way."""
    try:
        with transaction.atomic():
            return run()
    except Exception as error:  # noqa: BLE001 - answered as problem+json, or raised again
        response = exception_handler(error, {"view": view, "request": request})
        if response is None or response.status_code >= 500:
            raise
        return response


def _store(record: IdempotentRequest, response: Response) -> None:
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    if getattr(response, "content_type", None) == CONTENT_TYPE:
        headers["Content-Type"] = CONTENT_TYPE
    record.status_code = response.status_code
    record.response_body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
    record.response_headers = headers
    record.save(update_fields=["status_code", "response_body", "response_headers"])


#: Rows deleted per statement: each batch is a short transaction of its own, so the purge never
#: holds a long lock on the table that every POST inserts into.
PURGE_BATCH = 1000


def idempotent_requests_purge(
    *, now: datetime.datetime | None = None, batch_size: int = PURGE_BATCH
) -> int:
    """Delete the Idempotency-Key rows older than API_IDEMPOTENCY_DAYS, `batch_size` at a time
    (each batch its own transaction). Returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.API_IDEMPOTENCY_DAYS)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                IdempotentRequest.objects.filter(created_at__lt=cutoff)
                .order_by("created_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return deleted
            count, _ = IdempotentRequest.objects.filter(pk__in=ids).delete()
        deleted += count
