"""Run the benchmarks, print a table and write var/bench/results.json.

    python -m bench.run [documents] [triage] [notifications] [resolution] [letters] [load]
                                                           (default: every one present)

Each bench/<feature>.py has `measure() -> list[dict]`, run here inside a configured Django: a
fresh PostgreSQL database (created for the run, dropped after; BENCH_DATABASE_URL names the
server, like DATABASE_URL) and a database of the local broker its own (BENCH_BROKER_URL, redis db
15 by default: the notifications bench purges its queues). results.json is a list of
{name, value, unit, target, meets}; every value is a count, a ratio or a growth measured within
this one run, so the figures compare like with like on any machine.
"""

import importlib
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "var" / "bench" / "results.json"
FEATURES = (
    "documents",
    "triage",
    "notifications",
    "resolution",
    "letters",
    "oversight_dashboard",
    "oversight_lists",
    "api",
    "webhooks",
    "privacy_export",
    "privacy_retention",
    "load",
)


def _configure() -> None:
    os.environ["PORTAL_IGNORE_DOTENV"] = "true"
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench"
    )
    os.environ["CELERY_BROKER_URL"] = os.environ.get(
        "BENCH_BROKER_URL", "redis://127.0.0.1:6379/15"
    )
    os.environ.setdefault("CACHE_URL", "locmemcache://")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


def main(argv: list[str]) -> int:
    chosen = argv or [name for name in FEATURES if (REPO / "bench" / f"{name}.py").exists()]
    unknown = [name for name in chosen if name not in FEATURES]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(FEATURES)}.")
        return 2
    _configure()
    from django.test.utils import setup_databases, teardown_databases

    databases = setup_databases(verbosity=0, interactive=False)
    rows: list[dict] = []
    try:
        for name in chosen:
            print(f"{name}: measuring...", flush=True)
            rows += importlib.import_module(f"bench.{name}").measure()
    finally:
        teardown_databases(databases, verbosity=0)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    kept = []
    if RESULTS.exists() and argv:
        # A partial run keeps the other features' last figures.
        measured = {row["name"] for row in rows}
        kept = [row for row in json.loads(RESULTS.read_text()) if row["name"] not in measured]
    RESULTS.write_text(json.dumps(kept + rows, indent=2) + "\n")

    width = max(len(row["name"]) for row in rows)
    print(f"\n{'benchmark'.ljust(width)}  {'value':>10}  {'unit':<9}  {'target':<10}  meets")
    print("-" * (width + 44))
    for row in rows:
        print(
            f"{row['name'].ljust(width)}  {row['value']:>10}  {row['unit']:<9}  "
            f"{str(row['target']):<10}  {'yes' if row['meets'] else 'NO'}"
        )
    print(f"\nWritten to {RESULTS.relative_to(REPO)}")
    return 0 if all(row["meets"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
