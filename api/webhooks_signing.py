"""Standard Webhooks signatures (https://www.standardwebhooks.com/): `v1,` and the base64
HMAC-SHA256 of `id.timestamp.body`, keyed with the bytes of the `whsec_` secret's base64."""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
#: 32 random bytes: the specification asks for 24 to 64.
SECRET_BYTES = 32


def webhook_secret_new() -> str:
    """A new endpoint secret, `whsec_` and the base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def webhook_signature(*, secret: str, message_id: str, timestamp: int, body: str) -> str:
    """One `v1,<base64>` signature of the message with `secret`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_headers(*, secrets_in_use: list[str], message_id: str, timestamp: int, body: str):
    """The three Standard Webhooks headers; with two secrets (a rotation), two signatures
    separated by a space, so a receiver holding either one verifies."""
    signatures = " ".join(
        webhook_signature(secret=secret, message_id=message_id, timestamp=timestamp, body=body)
        for secret in secrets_in_use
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }
