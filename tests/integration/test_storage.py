"""The real S3 server (SeaweedFS) through django-storages: private objects, presigned reads, and
SeaweedFS's other ports, which serve nothing to a caller without its keys."""

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from documents.storage import s3_client

pytestmark = pytest.mark.integration


@pytest.fixture
def stored_key():
    key = f"test/{uuid.uuid4()}"
    yield key
    default_storage.delete(key)


def test_an_object_is_put_and_read_back(stored_key):
    saved = default_storage.save(stored_key, ContentFile(b"receipt for physiotherapy"))

    assert saved == stored_key
    with default_storage.open(stored_key) as handle:
        assert handle.read() == b"receipt for physiotherapy"
    assert default_storage.size(stored_key) == len(b"receipt for physiotherapy")


def test_a_presigned_url_fetches_the_object_and_expires_within_a_minute(stored_key):
    default_storage.save(stored_key, ContentFile(b"x-ray report"))

    url = default_storage.url(stored_key)

    assert "X-Amz-Expires=60" in url
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback S3
        assert response.read() == b"x-ray report"


def test_objects_are_private_without_a_signature(stored_key):
    default_storage.save(stored_key, ContentFile(b"private"))
    unsigned = f"{settings.S3_ENDPOINT_URL}/{settings.S3_BUCKET}/{stored_key}"

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=10)  # noqa: S310 - loopback S3

    assert refused.value.code in (401, 403)


def test_objects_are_stored_with_server_side_encryption(stored_key):
    default_storage.save(stored_key, ContentFile(b"encrypted at rest"))

    head = s3_client().head_object(Bucket=settings.S3_BUCKET, Key=stored_key)

    assert head["ServerSideEncryption"] == "AES256"


# --- SeaweedFS's other ports, as scripts/services.sh start_s3 runs them ---
# The defaults are the running local instance; the variables point the tests at another one.


def _port(name: str, default: int) -> int:
    return int(os.environ.get(f"SEAWEEDFS_{name}_PORT", default))


MASTER_PORT = _port("MASTER", 9333)
MASTER_GRPC_PORT = _port("MASTER_GRPC", 19333)
VOLUME_PORT = _port("VOLUME", 9340)
VOLUME_GRPC_PORT = _port("VOLUME_GRPC", 19340)
FILER_PORT = _port("FILER", 8888)
FILER_GRPC_PORT = _port("FILER_GRPC", 18888)
WEED = Path(sys.executable).with_name("weed")

# A refusal is a closed port (None), 401 or 403, or 404 where start_s3 removed the HTTP API
# altogether (-disableHttp): every path tried below exists on an open SeaweedFS, so a 404 is
# the missing API, not a missing object.
REFUSED = (None, 401, 403, 404)
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000")


def _secrets_dir() -> Path:
    return Path(os.environ.get("SEAWEEDFS_SECRETS_DIR", settings.VAR_DIR / "seaweedfs-secrets"))


def _status(port: int, path: str, *, method: str = "GET", body: bytes | None = None, token=""):
    """The HTTP status a caller holding nothing but `token` gets, or None if nothing listens."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    except ConnectionRefusedError:
        return None
    finally:
        connection.close()


def _chunk_file_ids(key: str) -> list[str]:
    """The volume server file ids holding the object, read from the filer with SeaweedFS's own
    client certificate, as an insider would."""
    certificates = _secrets_dir()
    assert (certificates / "node.crt").exists(), (
        f"No SeaweedFS certificate in {certificates}: restart SeaweedFS with "
        "'scripts/services.sh stop s3 && scripts/services.sh start s3'."
    )
    env = {
        **os.environ,
        "WEED_GRPC_CA": str(certificates / "ca.crt"),
        "WEED_GRPC_CLIENT_CERT": str(certificates / "node.crt"),
        "WEED_GRPC_CLIENT_KEY": str(certificates / "node.key"),
    }
    shell = subprocess.run(  # noqa: S603 - our own weed binary, fixed arguments
        [
            str(WEED),
            "shell",
            f"-master=127.0.0.1:{MASTER_PORT}.{MASTER_GRPC_PORT}",
            f"-filer=127.0.0.1:{FILER_PORT}.{FILER_GRPC_PORT}",
        ],
        input=f"fs.meta.cat /buckets/{settings.S3_BUCKET}/{key}\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return re.findall(r'"fileId":\s*"([^"]+)"', shell.stdout)


def _volume_read_token(file_id: str) -> str:
    """A token for reading one blob, signed with the volume server's read key as the master
    signs them (HS256 over {"fid", "exp"})."""
    keys = dict(
        line.split("=", 1) for line in (_secrets_dir() / "security.env").read_text().split()
    )

    def encode(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    header = encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = encode(json.dumps({"fid": file_id, "exp": int(time.time()) + 60}).encode())
    key = keys["WEED_JWT_SIGNING_READ_KEY"].encode()
    signature = encode(hmac.new(key, header + b"." + claims, hashlib.sha256).digest())
    return (header + b"." + claims + b"." + signature).decode()


def test_the_filer_serves_no_stored_object_and_no_listing_without_credentials(stored_key):
    default_storage.save(stored_key, ContentFile(b"discharge letter"))
    bucket = f"/buckets/{settings.S3_BUCKET}"

    assert _status(FILER_PORT, f"{bucket}/{stored_key}") in REFUSED
    assert _status(FILER_PORT, f"{bucket}/{stored_key.split('/')[0]}/") in REFUSED
    assert _status(FILER_PORT, "/") in REFUSED


def test_the_volume_server_refuses_a_stored_objects_blob_without_a_signed_token(stored_key):
    default_storage.save(stored_key, ContentFile(b"physiotherapy notes " * 200))
    file_ids = _chunk_file_ids(stored_key)
    assert file_ids, "the filer did not name the object's blobs to SeaweedFS's own certificate"

    assert _status(VOLUME_PORT, f"/{file_ids[0]}") in (None, 401, 403)
    assert _status(VOLUME_PORT, f"/{file_ids[0]}", method="POST", body=b"x") in (None, 401, 403)
    # The same read with a signed token succeeds: the refusal above was for the credentials.
    assert _status(VOLUME_PORT, f"/{file_ids[0]}", token=_volume_read_token(file_ids[0])) == 200
    with default_storage.open(stored_key) as handle:
        assert handle.read() == b"physiotherapy notes " * 200


def test_the_master_hands_out_no_file_ids_or_volume_locations_without_credentials():
    for path in ("/dir/assign", "/dir/lookup?volumeId=1", "/dir/status", "/vol/status"):
        assert _status(MASTER_PORT, path) in REFUSED, path


@pytest.mark.parametrize(
    "port", [MASTER_GRPC_PORT, VOLUME_GRPC_PORT, FILER_GRPC_PORT], ids=["master", "volume", "filer"]
)
def test_a_grpc_port_refuses_a_caller_without_seaweedfss_certificate(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as plain:
        plain.sendall(HTTP2_PREFACE)
        assert plain.recv(64) == b"", "a gRPC port answered a caller without TLS"

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw) as tls,
    ):
        tls.sendall(HTTP2_PREFACE)
        with pytest.raises(ssl.SSLError, match="certificate required"):
            tls.recv(64)
