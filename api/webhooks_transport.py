"""Sending a webhook to the address its URL resolved to, and nowhere else (SSRF guard).

The host is resolved once, every address it resolved to must be public (not private, loopback,
link-local, shared, reserved or multicast), and the connection goes to that checked address, with
the Host header and TLS's SNI and certificate check kept on the name: a DNS answer that changes
between the check and the connection (rebinding) cannot point a delivery at the portal's own
network. Redirects are never followed (a 3xx is a failure) and nothing is retried here: the
outbox's schedule does that.

WEBHOOKS_ALLOW_PRIVATE_HOSTS lets tests and `make run` reach a receiver on loopback; it is off by
default, and plain http is accepted only for a loopback address.
"""

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

#: Pools kept per (scheme, address, port, host): a worker delivering a backlog to one endpoint
#: reuses its connection. Keyed by the checked address, so a new DNS answer gets a new pool.
_pools: dict[tuple, urllib3.HTTPConnectionPool] = {}
_pools_lock = threading.Lock()
POOLS_KEPT = 64
#: Bytes of a response read (and thrown away) so the connection can be reused; the body is never
#: stored, since a receiver could echo anything into it.
RESPONSE_BYTES_READ = 4096


class WebhookAddressError(ValueError):
    """The URL cannot be delivered to: refused by the SSRF rules, or not resolvable. The message
    says why, for the person who registered it."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str
    path: str


@dataclass(frozen=True)
class Response:
    status: int | None
    duration_ms: int
    retry_after: str = ""
    error: str = ""


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def webhook_target_resolve(url: str) -> Target:
    """Resolve `url` and check it by the SSRF rules; returns where to connect. Raises
    WebhookAddressError with a message a person can act on."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise WebhookAddressError(_("Enter a full https:// address."))
    if parts.username or parts.password:
        raise WebhookAddressError(_("Leave the user name and password out of the address."))
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as error:
        raise WebhookAddressError(_("The address's port is not a number.")) from error
    host = parts.hostname
    addresses = _resolve(host, port)
    allow_private = settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS
    if not allow_private and not all(_is_public(address) for address in addresses):
        raise WebhookAddressError(
            _(
                "%(host)s points to a private, loopback or link-local address; webhooks go only "
                "to public addresses."
            )
            % {"host": host}
        )
    if scheme == "http" and not all(address.is_loopback for address in addresses):
        raise WebhookAddressError(
            _("Use https:// (plain http:// is accepted only for a receiver on this machine).")
        )
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, address=str(addresses[0]), path=path)


def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise WebhookAddressError(
            _("%(host)s could not be found; check the address.") % {"host": host}
        ) from error
    # Scoped IPv6 addresses (fe80::1%eth0) carry their zone after the %.
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise WebhookAddressError(_("%(host)s has no address.") % {"host": host})
    return addresses


def webhook_post(*, target: Target, body: bytes, headers: dict[str, str]) -> Response:
    """POST `body` to the checked address of `target`, not following redirects; a network
    failure or timeout is a Response with no status and the error in words."""
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    headers = {**headers, "Host": host_header, "Content-Type": "application/json"}
    started = time.perf_counter()
    try:
        response = _pool(target).urlopen(
            "POST",
            target.path,
            body=body,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            response.read(RESPONSE_BYTES_READ)
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as error:
        return Response(status=None, duration_ms=_since(started), error=_error_words(error))
    return Response(
        status=response.status,
        duration_ms=_since(started),
        retry_after=response.headers.get("Retry-After", ""),
    )


def _pool(target: Target) -> urllib3.HTTPConnectionPool:
    key = (target.scheme, target.address, target.port, target.host)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            if len(_pools) >= POOLS_KEPT:
                _pools.pop(next(iter(_pools))).close()
            pool = _pools[key] = _new_pool(target)
        return pool


def _new_pool(target: Target) -> urllib3.HTTPConnectionPool:
    seconds = settings.WEBHOOKS_TIMEOUT_SECONDS
    timeout = urllib3.Timeout(connect=seconds, read=seconds, total=seconds)
    if target.scheme == "https":
        # Connect to the checked address; SNI and the certificate check use the name.
        return urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            maxsize=1,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
        )
    return urllib3.HTTPConnectionPool(
        target.address, target.port, timeout=timeout, maxsize=1, retries=False
    )


def _since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _error_words(error: Exception) -> str:
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return _("The endpoint did not answer in time.")
    if isinstance(error, urllib3.exceptions.SSLError):
        return _("The endpoint's TLS certificate could not be verified.")
    return _("The endpoint could not be reached.")
