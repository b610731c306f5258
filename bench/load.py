"""The portal under load: 50 simulated patients (bench/locustfile.py, run by locust headless)
sign in and file claims through every question page for LOAD_SECONDS, against the portal as
make run starts it (the Procfile's gunicorn, worker and beat), on PostgreSQL and then on SQLite.

The figure that must hold is the error count: 0 on both. Response times are reported as p50 and
p95 over every request, and as ratios against one patient alone doing the same journeys on the
same portal just before (the raw cost of the work, in the same run).
"""

import csv
import os
import subprocess
import tempfile
from pathlib import Path

from tests.live_portal import PATIENT_PASSWORD, running_portal

REPO = Path(__file__).resolve().parents[1]
VAR = REPO / "var" / "bench"
USERS = 50
LOAD_SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
BASELINE_SECONDS = int(os.environ.get("LOAD_BASELINE_SECONDS", "15"))
# A Redis database of the benchmark's own: the broker, cache and rate limits of the load run.
REDIS_URL = "redis://127.0.0.1:6379/12"


def measure() -> list[dict]:
    rows = []
    for backend, suffix in (("postgres", ""), ("sqlite", "_sqlite")):
        alone, loaded = _load(backend)
        name = f"{USERS}_users{suffix}"
        rows += [
            _row(f"load_errors_{name}", loaded["failures"], "errors", "= 0",
                 loaded["failures"] == 0 and alone["failures"] == 0),
            _row(f"load_requests_{name}", loaded["requests"], "requests", "report",
                 loaded["requests"] > 0),
            _row(f"load_p50_ms_{name}", loaded["p50"], "ms", "report", True),
            _row(f"load_p95_ms_{name}", loaded["p95"], "ms", "report", True),
            _row(f"load_p50_ratio_{name}_vs_1_user", round(loaded["p50"] / alone["p50"], 2),
                 "ratio", "report", True),
            _row(f"load_p95_ratio_{name}_vs_1_user", round(loaded["p95"] / alone["p95"], 2),
                 "ratio", "report", True),
        ]  # fmt: skip
    return rows


def _load(backend: str) -> tuple[dict, dict]:
    """One patient alone for BASELINE_SECONDS (the raw cost of the same journeys), then USERS
    at once for LOAD_SECONDS, against one portal."""
    with (
        tempfile.TemporaryDirectory(prefix=f"load-{backend}-") as root,
        running_portal(backend, Path(root), patients=USERS, redis_url=REDIS_URL) as portal,
    ):
        env = {
            **os.environ,
            "LOAD_PATIENTS": ",".join(portal.patients),
            "LOAD_PASSWORD": PATIENT_PASSWORD,
            "PYTHONPATH": str(REPO),
        }
        alone = _locust(portal.url, env, users=1, seconds=BASELINE_SECONDS, name=f"{backend}_1")
        loaded = _locust(portal.url, env, users=USERS, seconds=LOAD_SECONDS, name=backend)
        if "Traceback" in portal.log("web"):
            print(f"load ({backend}): the web server logged errors; see {portal.log_dir}")
        return alone, loaded


def _locust(url: str, env: dict, *, users: int, seconds: int, name: str) -> dict:
    prefix = VAR / f"load_{name}"
    with open(VAR / f"load_{name}.log", "wb") as log:
        subprocess.run(  # noqa: S603 - locust, from the project's own venv
            [str(REPO / ".venv" / "bin" / "locust"), "-f", str(REPO / "bench" / "locustfile.py"),
             "--headless", "--users", str(users), "--spawn-rate", "10",
             "--run-time", f"{seconds}s", "--stop-timeout", "30", "--host", url,
             "--csv", str(prefix), "--only-summary"],
            cwd=REPO, env=env, check=False, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return _aggregated(prefix)


def _aggregated(prefix: Path) -> dict:
    """The 'Aggregated' row of locust's stats; the first failures are printed."""
    with open(f"{prefix}_stats.csv") as stats_file:
        total = next(row for row in csv.DictReader(stats_file) if row["Name"] == "Aggregated")
    failures = int(total["Failure Count"])
    if failures:
        with open(f"{prefix}_failures.csv") as failures_file:
            for row in list(csv.DictReader(failures_file))[:10]:
                error = row["Error"][:200]
                print(f"  {row['Method']} {row['Name']}: {error} x{row['Occurrences']}")
    return {
        "failures": failures,
        "requests": int(total["Request Count"]),
        "p50": float(total["50%"]),
        "p95": float(total["95%"]),
    }


def _row(name: str, value, unit: str, target: str, meets: bool) -> dict:
    return {"name": name, "value": value, "unit": unit, "target": target, "meets": bool(meets)}
