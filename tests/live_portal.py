"""The whole portal as `make run` starts it (the Procfile's web server, worker and beat), on a
database of its own, for tests and benchmarks that try it from outside.

`backend="sqlite"` is the embedded default exactly as make run configures it; `"postgres"` is
the same on a fresh PostgreSQL database. Emails go to files in `mail_dir`; every process logs
to `log_dir`. The services (clamd, S3, Redis) must be running, as for the rest of the suite.
"""

import contextlib
import email
import email.policy
import os
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

REPO = Path(__file__).resolve().parents[1]
PYTHON = str(REPO / ".venv" / "bin" / "python")
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
#: The password of every patient the harness creates (and of the demo accounts' test twins).
PATIENT_PASSWORD = "live-portal-2026"  # noqa: S105 - a throwaway database's accounts
START_SECONDS = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LivePortal:
    backend: str
    database_url: str
    url: str
    env: dict
    mail_dir: Path
    log_dir: Path
    patients: list[str] = field(default_factory=list)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    # --- what happened, read from outside ---------------------------------------------------

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one read-only SQL statement on the portal's database (placeholders: %s)."""
        if self.backend == "sqlite":
            path = self.database_url.removeprefix("sqlite:///")
            with contextlib.closing(sqlite3.connect(f"/{path.lstrip('/')}", timeout=30)) as db:
                return db.execute(sql.replace("%s", "?"), params).fetchall()
        with psycopg.connect(self.database_url, autocommit=True) as db:
            return db.execute(sql, params).fetchall()

    def emails(self) -> list[email.message.EmailMessage]:
        """Every email the portal has sent so far (the file backend writes one file per
        connection, messages separated by a line of dashes)."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for raw in path.read_text().split("-" * 79 + "\n"):
                if raw.strip():
                    messages.append(email.message_from_string(raw, policy=email.policy.default))
        return messages

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_until(self, condition, *, seconds: float, what: str) -> None:
        """Poll `condition` until it holds; a deadline for liveness, not a timing assertion."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.5)
        raise AssertionError(f"Not reached within {seconds:.0f} s: {what}")


def portal_environment(*, database_url: str, mail_dir: Path, var_dir: Path, redis_url: str) -> dict:
    """make run's environment (scripts/run.sh), pointed at this portal's own database, Redis
    database, mail folder and port."""
    port = free_port()
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith("PYTEST")},
        "PORTAL_IGNORE_DOTENV": "true",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "true",
        "WEB_PORT": str(port),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CACHE_URL": redis_url,
        "EMAIL_URL": f"filemail://{mail_dir}",
        "EMAIL_BACKEND": "",
        # Each simulated patient comes from an address of its own (X-Forwarded-For), so the
        # per-address sign-in limits treat them as the different people they are.
        "TRUSTED_PROXY_COUNT": "1",
        "BEAT_SCHEDULE_FILE": str(var_dir / "celerybeat-schedule"),
    }


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [PYTHON, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


CREATE_PATIENTS = """
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from portal.models import Role, User
password = make_password({password!r})
for number in range({count}):
    address = f"patient{{number}}@load.example.com"
    user, _ = User.objects.get_or_create(
        email=address, defaults={{"full_name": f"Patient {{number}}", "role": Role.PATIENT}}
    )
    user.password = password
    user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=address, defaults={{"verified": True, "primary": True}}
    )
"""


def prepare_database(env: dict, *, patients: int) -> list[str]:
    """Migrate, seed the demo data (as make run does) and add `patients` verified patients."""
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    code = CREATE_PATIENTS.format(password=PATIENT_PASSWORD, count=patients)
    manage(env, "shell", "-c", code)
    return [f"patient{number}@load.example.com" for number in range(patients)]


def procfile_commands() -> dict[str, str]:
    """The Procfile's processes, so that the harness runs exactly what make run runs."""
    commands = {}
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            commands[name.strip()] = command.strip()
    return commands


def start_process(name: str, command: str, *, env: dict, log_dir: Path) -> subprocess.Popen:
    log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(  # noqa: S603 - the Procfile's own commands
        ["bash", "-c", f"exec {command}"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_for_web(portal: LivePortal) -> None:
    port = int(portal.env["WEB_PORT"])
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if portal.processes["web"].poll() is not None:
            raise RuntimeError(f"The web server exited at start:\n{portal.log('web')[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"The web server did not listen within {START_SECONDS} s.")


@contextlib.contextmanager
def _database(backend: str, root: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{root / 'portal.sqlite3'}"
        return
    name = f"portal_live_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def running_portal(
    backend: str,
    root: Path,
    *,
    patients: int = 0,
    redis_url: str,
    env: dict | None = None,
    processes=("web", "worker", "beat"),
) -> Iterator[LivePortal]:
    """Start the portal's processes on a new database under `root`, with `env` added to make
    run's environment; stop them afterwards."""
    mail_dir, log_dir = root / "mail", root / "logs"
    for folder in (mail_dir, log_dir):
        folder.mkdir(parents=True, exist_ok=True)
    with _database(backend, root) as database_url:
        env = portal_environment(
            database_url=database_url, mail_dir=mail_dir, var_dir=root, redis_url=redis_url
        ) | (env or {})
        portal = LivePortal(
            backend=backend,
            database_url=database_url,
            url=env["SITE_URL"],
            env=env,
            mail_dir=mail_dir,
            log_dir=log_dir,
        )
        _empty_redis_database(redis_url)
        portal.patients = prepare_database(env, patients=patients)
        commands = procfile_commands()
        try:
            for name in processes:
                portal.processes[name] = start_process(
                    name, commands[name], env=env, log_dir=log_dir
                )
            if "web" in processes:
                _wait_for_web(portal)
            yield portal
        finally:
            for process in portal.processes.values():
                stop_process(process)


def _empty_redis_database(url: str) -> None:
    """What an earlier run left there (queued tasks, rate-limit counters) would disturb this one."""
    redis.Redis.from_url(url).flushdb()


@contextlib.contextmanager
def own_redis(root: Path) -> Iterator["RedisServer"]:
    """A Redis server of the test's own on a free port, which the test may stop and start."""
    server = RedisServer(port=free_port(), root=root)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class RedisServer:
    port: int
    root: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - Debian's redis-server
            ["/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.root)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if redis.Redis.from_url(self.url).ping():
                    return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server did not answer on port {self.port}.")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
