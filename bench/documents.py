"""The documents pipeline's performance, measured as ratios within one run.

Runs inside a configured Django (PostgreSQL, migrated; see bench/run.py). Real processes
throughout: gunicorn (one gthread worker, so there is one web process to watch),
a Celery worker (solo pool, so the scan runs in the process we watch), the local SeaweedFS, and
a clamd of the benchmark's own whose stream limit admits the 200 MB file (the project's clamd
stops at 60 MB, which would end that scan early as unscannable and measure less streaming).
"""

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
VAR = REPO / "var" / "bench"
MB = 1024 * 1024
PYTHON = str(REPO / ".venv" / "bin" / "python")
# The benchmark's own throwaway account in its own database.
PASSWORD = "bench-portal-2026"  # noqa: S105
EMAIL = "bench-patient@example.com"
RATIO_RUNS = 3


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: float
    detail: str = ""

    @property
    def meets(self) -> bool:
        return self.value <= self.target

    def as_row(self) -> dict:
        return {
            "name": self.name,
            "value": round(self.value, 2),
            "unit": self.unit,
            "target": f"<= {self.target:g}",
            "meets": self.meets,
        }


# --- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


class PeakSampler:
    """Samples a process's resident memory every few milliseconds; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.005):
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(self.interval)

    def __enter__(self):
        self.peak = rss_bytes(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start; see {VAR}/{name}.log")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not listen on {port} within {timeout}s")


def start(name: str, args: list[str], env: dict) -> subprocess.Popen:
    log = open(VAR / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(  # noqa: S603 - our own programs
        args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def start_clamd(port: int) -> subprocess.Popen:
    """A clamd for the benchmark with the project's signatures and limits that admit 256 MB."""
    database = VAR / "clamav-db"
    database.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "deploy" / "clamd" / "portal-test.ndb", database)
    config = VAR / "clamd.conf"
    config.write_text(
        f"DatabaseDirectory {database}\nTCPAddr 127.0.0.1\nTCPSocket {port}\nForeground yes\n"
        f"LogFile {VAR}/clamd-own.log\nStreamMaxLength 260M\nMaxFileSize 260M\n"
        "MaxScanSize 1024M\nAlertExceedsMax yes\n"
    )
    binary = shutil.which("clamd") or "/usr/sbin/clamd"
    return start("clamd", [binary, "-c", str(config)], os.environ.copy())


# --- the portal over HTTP -----------------------------------------------------------------------


class Browser:
    """Just enough of a browser: cookies, the CSRF token, a signed-in session."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def _headers(self, extra: dict | None = None) -> dict:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": cookie, "Host": f"127.0.0.1:{self.port}", **(extra or {})}

    def _remember(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name.strip()] = value.strip()

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.request(method, path, body=body, headers=self._headers(headers))
        response = connection.getresponse()
        self._remember(response)
        data = response.read()
        connection.close()
        return response.status, data

    def sign_in(self) -> None:
        status, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = urlencode({"csrfmiddlewaretoken": token, "login": EMAIL, "password": PASSWORD})
        status, _ = self.request(
            "POST",
            "/accounts/login/",
            form,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"Signing in failed (HTTP {status}).")

    def csrf_token(self, claim_id: str) -> str:
        _status, page = self.request("GET", f"/documents/claims/{claim_id}/upload/")
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()

    def upload(self, claim_id: str, name: str, size: int, seed: int, token: str) -> str:
        """Stream a text file of `size` bytes as a browser would, with the form's CSRF `token`
        (a browser has it from the page before the file is chosen); returns the document id."""
        boundary = f"bench{uuid.uuid4().hex}"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{token}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="category_1"\r\n\r\nother\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file_1"; '
            f'filename="{name}"\r\nContent-Type: text/plain\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.putrequest("POST", f"/documents/claims/{claim_id}/upload/")
        headers = self._headers(
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head) + size + len(tail)),
                "Accept": "application/json",
            }
        )
        for key, value in headers.items():
            if key != "Host":
                connection.putheader(key, value)
        connection.endheaders()
        connection.send(head)
        for chunk in text_chunks(size, seed):
            connection.send(chunk)
        connection.send(tail)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        if response.status != 201:
            raise RuntimeError(f"Upload refused (HTTP {response.status}): {data[:300]!r}")
        return json.loads(data)["documents"][0]["id"]


def wait_until_scanned(document_id: str, timeout: float = 600) -> str:
    """The document's verdict, read from the database every 10 ms. Not through the page's status
    endpoint: polled that often (the page itself asks every 2.5 s) the web process would spend
    the machine's CPU answering, a cost of the harness that the pipeline does not have."""
    from documents.models import Document

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = Document.objects.filter(pk=document_id).values_list("scan_status", flat=True)[0]
        if status != "pending":
            return status
        time.sleep(0.01)
    raise RuntimeError(f"Document {document_id} was still pending after {timeout}s.")


def text_chunks(size: int, seed: int, chunk: int = MB):
    """`size` bytes of plain text, generated a megabyte at a time (never whole in memory)."""
    line = (f"Bench run {seed}: the quick brown fox jumps over the lazy dog. " * 2)[:127] + "\n"
    block = (line * (chunk // len(line) + 1)).encode()[:chunk]
    sent = 0
    while sent < size:
        piece = block[: min(chunk, size - sent)]
        sent += len(piece)
        yield piece


# --- the raw floor ------------------------------------------------------------------------------


def raw_floor_seconds(size: int, seed: int, phases: list | None = None) -> float:
    """boto3 put + clamd INSTREAM + S3 copy of the same bytes: the least the pipeline must do."""
    import io

    from django.conf import settings

    from documents.scanner import Verdict, scan_stream
    from documents.storage import s3_client

    data = b"".join(text_chunks(size, seed))
    s3 = s3_client()
    key, copy = f"bench/raw-{uuid.uuid4()}", f"bench/raw-{uuid.uuid4()}"
    encryption = {"ServerSideEncryption": settings.S3_SERVER_SIDE_ENCRYPTION}
    started = time.perf_counter()
    s3.put_object(Bucket=settings.S3_BUCKET, Key=key, Body=data, **encryption)
    put_done = time.perf_counter()
    verdict = scan_stream(io.BytesIO(data)).verdict
    scan_done = time.perf_counter()
    s3.copy_object(
        Bucket=settings.S3_BUCKET,
        Key=copy,
        CopySource={"Bucket": settings.S3_BUCKET, "Key": key},
        **encryption,
    )
    elapsed = time.perf_counter() - started
    if phases is not None:
        phases.append((put_done - started, scan_done - put_done, started + elapsed - scan_done))
    if verdict != Verdict.CLEAN:
        raise RuntimeError(f"The raw floor's scan said {verdict}, not clean.")
    for name in (key, copy):
        s3.delete_object(Bucket=settings.S3_BUCKET, Key=name)
    return elapsed


# --- the run ------------------------------------------------------------------------------------


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{db['NAME']}"


def environment(*, clamd_port: int) -> dict:
    """The web server's and the worker's settings: this run's database, broker and clamd, and
    upload limits raised for the 200 MB file."""
    from django.conf import settings

    return {
        **os.environ,
        "PORTAL_IGNORE_DOTENV": "true",
        "DEBUG": "false",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "CACHE_URL": "locmemcache://",
        "CLAMD_PORT": str(clamd_port),
        "CLAMD_TIMEOUT_SECONDS": "300",
        "DOCUMENT_MAX_FILE_MB": "256",
        "DOCUMENT_MAX_TOTAL_PER_CLAIM_MB": "4096",
        "CELERY_TASK_TIME_LIMIT": "900",
        "CELERY_TASK_SOFT_TIME_LIMIT": "800",
    }


def _claim() -> str:
    """A patient who can sign in, and a submitted claim of theirs; returns the claim's id."""
    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from intake.models import Claim
    from portal.models import User

    user = User.objects.create_user(EMAIL, PASSWORD, full_name="Bench Patient")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    claim = Claim.objects.create(
        claimant=user,
        status="under_review",
        reference=f"CLM-BENCH-{uuid.uuid4().hex[:8]}",
        submitted_at=timezone.now(),
    )
    return str(claim.pk)


def _delete_objects() -> None:
    from documents import objects
    from documents.models import Document

    for key in Document.objects.values_list("storage_key", flat=True):
        uid = key.split("/", 1)[1]
        objects.delete_quietly(f"quarantine/{uid}")
        objects.delete_quietly(f"clean/{uid}")


def measure() -> list[dict]:
    """Every documents figure, as the results file's rows (details printed as it goes)."""
    from django.test import override_settings

    VAR.mkdir(parents=True, exist_ok=True)
    clamd_port, web_port = free_port(), free_port()
    processes = []
    try:
        clamd = start_clamd(clamd_port)
        processes.append(clamd)
        wait_for_port(clamd_port, clamd, "clamd")
        claim_id = _claim()
        env = environment(clamd_port=clamd_port)
        # gunicorn serves pages with DEBUG off, which needs the static files' manifest (as
        # make run does; staticfiles/ is ignored by git).
        collect = [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"]
        subprocess.run(collect, cwd=REPO, env=env, check=True)  # noqa: S603 - fixed arguments
        web = start(
            "web",
            [str(REPO / ".venv" / "bin" / "gunicorn"), "config.wsgi",
             "--bind", f"127.0.0.1:{web_port}", "--workers", "1", "--threads", "4",
             "--worker-class", "gthread", "--timeout", "600"],
            env,
        )  # fmt: skip
        processes.append(web)
        worker = start(
            "worker",
            [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", "scan",
             "--hostname", f"bench-scan-{os.getpid()}@localhost", "--loglevel", "WARNING"],
            env,
        )  # fmt: skip
        processes.append(worker)
        wait_for_port(web_port, web, "web")
        time.sleep(1)
        [web_pid] = children(web.pid)
        with override_settings(CLAMD_PORT=clamd_port, CLAMD_TIMEOUT_SECONDS=300):
            results = _measure(Browser(web_port), claim_id, web_pid=web_pid, worker=worker)
    finally:
        with contextlib.suppress(Exception):
            _delete_objects()
        for process in reversed(processes):
            stop(process)
    for result in results:
        print(f"  {result.name}: {result.detail}")
    return [result.as_row() for result in results]


def _measure(browser: Browser, claim_id: str, *, web_pid: int, worker) -> list[Result]:
    browser.sign_in()
    token = browser.csrf_token(claim_id)
    # Warm-up: imports, connections and the first task, outside every measurement.
    warm = browser.upload(claim_id, "warm-up.txt", MB, seed=0, token=token)
    wait_until_scanned(warm, timeout=120)
    raw_floor_seconds(MB, seed=0)

    portal_times, raw_times, portal_phases, raw_phases = [], [], [], []
    for run_number in range(1, RATIO_RUNS + 1):
        started = time.perf_counter()
        document = browser.upload(
            claim_id, f"ratio-{run_number}.txt", 25 * MB, seed=run_number, token=token
        )
        uploaded = time.perf_counter()
        verdict = wait_until_scanned(document)
        portal_times.append(time.perf_counter() - started)
        portal_phases.append((uploaded - started, started + portal_times[-1] - uploaded))
        if verdict != "clean":
            raise RuntimeError(f"The 25 MB upload ended {verdict}, not clean.")
        raw_times.append(raw_floor_seconds(25 * MB, seed=run_number, phases=raw_phases))
    portal, raw = statistics.median(portal_times), statistics.median(raw_times)
    upload_part, scan_part = (statistics.median(p[i] for p in portal_phases) for i in (0, 1))
    put_part, raw_scan_part, copy_part = (
        statistics.median(p[i] for p in raw_phases) for i in (0, 1, 2)
    )

    web_base = rss_bytes(web_pid)
    started = time.perf_counter()
    with PeakSampler(web_pid) as web_peak:
        big = browser.upload(claim_id, "big.txt", 200 * MB, seed=99, token=token)
    upload_seconds = time.perf_counter() - started
    worker_base = rss_bytes(worker.pid)
    with PeakSampler(worker.pid) as worker_peak:
        verdict = wait_until_scanned(big)
    scan_seconds = time.perf_counter() - started - upload_seconds
    # The scan may be under way when sampling starts: take the baseline from the lower of the
    # worker's memory then and after, so memory already grown is not counted as baseline.
    worker_base = min(worker_base, rss_bytes(worker.pid))

    return [
        Result(
            "upload_to_clean_ratio_25mb",
            portal / raw,
            "ratio",
            1.5,
            f"portal {portal:.2f}s (HTTP upload {upload_part:.2f} + queue, scan and promotion "
            f"{scan_part:.2f}) vs raw floor {raw:.2f}s (put {put_part:.2f} + INSTREAM "
            f"{raw_scan_part:.2f} + copy {copy_part:.2f}); medians of {RATIO_RUNS}",
        ),
        Result(
            "upload_web_rss_growth_mb_200mb",
            (web_peak.peak - web_base) / MB,
            "MB",
            32,
            f"web worker RSS {web_base / MB:.0f} MB -> peak {web_peak.peak / MB:.0f} MB; "
            f"upload took {upload_seconds:.1f}s",
        ),
        Result(
            "scan_worker_rss_growth_mb_200mb",
            (worker_peak.peak - worker_base) / MB,
            "MB",
            32,
            f"scan worker RSS {worker_base / MB:.0f} MB -> peak {worker_peak.peak / MB:.0f} MB; "
            f"verdict {verdict} after {scan_seconds:.1f}s (the bench's clamd: StreamMaxLength "
            "260M)",
        ),
    ]
