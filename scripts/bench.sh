#!/usr/bin/env bash
# make bench: the performance figures of the documents pipeline, measured within one run (see
# bench/documents.py). Needs the local services, which it starts like make test does.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh dev
scripts/services.sh start clamd s3 redis
.venv/bin/python -m bench.run "$@"
