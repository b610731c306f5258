#!/usr/bin/env bash
# The local demo (what `make run` does after scripts/bootstrap.sh runtime): the services, the
# database and demo data, then web + worker + beat in the foreground. Ctrl-C stops all of it,
# including the services this run started, but leaves alone those that were already running.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBUG=${DEBUG:-true}
# honcho gives every process its own PORT (5000, 5100, ...), so the web port has its own name.
export WEB_PORT=${WEB_PORT:-8000}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$WEB_PORT}

# Whatever is not answering now is what this run starts, and so what it stops on the way out.
started=()
for name in clamd s3 redis; do
    scripts/services.sh status "$name" | grep -q ': running' || started+=("$name")
done
stop_started() {
    if [ ${#started[@]} -gt 0 ]; then
        echo "Stopping the services this run started: ${started[*]}"
        scripts/services.sh stop "${started[@]}"
    fi
}
trap stop_started EXIT
# A trapped signal ends the script through `exit`, so the EXIT trap runs once and last.
trap 'exit 130' INT TERM

scripts/services.sh start all
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py seed_demo

cat <<BANNER

  Claim portal: http://127.0.0.1:$WEB_PORT/
  demo accounts: see README
  Ctrl-C stops the web server, worker and beat${started[*]:+, then the services it started: ${started[*]}}.

BANNER

# Not exec: this shell has to outlive honcho so that the trap above can stop the services.
.venv/bin/honcho start -f Procfile
