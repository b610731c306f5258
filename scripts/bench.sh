#!/usr/bin/env bash
# make bench: the performance figures of the documents pipeline, triage and notifications,
# measured within one run (bench/*.py). Needs the local services, which it starts like make test
# does. It creates and drops its own database (test_portal_bench, named from BENCH_DATABASE_URL)
# and uses its own broker database (redis db 15, BENCH_BROKER_URL), never the portal's.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh dev
scripts/services.sh start clamd s3 redis
.venv/bin/python -m bench.run "$@"
