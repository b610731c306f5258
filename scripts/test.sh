#!/usr/bin/env bash
# The whole check, the same for a developer (`make test`) and CI (.ci/run): tools, lint, the
# services the integration tests talk to, then pytest. Arguments are passed on to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh dev

# Lint first: it takes a second and fails fast.
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# The layers (README, Architecture; contracts in pyproject.toml): no app imports one above it.
.venv/bin/lint-imports

# A developer keeps the services between runs (make services-stop ends them); CI leaves nothing
# behind, so there the services this run starts are stopped again on the way out.
started=()
if [ -n "${CI:-}" ]; then
    for name in clamd s3 redis; do
        scripts/services.sh status "$name" | grep -q ': running' || started+=("$name")
    done
    trap '[ ${#started[@]} -eq 0 ] || scripts/services.sh stop "${started[@]}"' EXIT
fi
# redis is started only if no Redis answers on 127.0.0.1:6379 already.
scripts/services.sh start clamd s3 redis

export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/portal}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/14}
export CACHE_URL=${CACHE_URL:-locmemcache://}
# Settings come from this environment alone, not from a developer's .env.
export PORTAL_IGNORE_DOTENV=true

# pytest's own exit codes stand: 5 ("no tests collected") is a failure too, since a suite that
# runs nothing proves nothing.
.venv/bin/pytest "$@"
