#!/usr/bin/env bash
# The Procfile's Celery worker, started again when it stops on an error, as a process supervisor
# (systemd's Restart=on-failure, say) does in production. kombu's Redis transport stops a worker
# whose broker vanishes while it holds unacknowledged messages ("Unrecoverable error"); without
# this, one Redis restart would end make run's worker, and honcho with it the whole portal.
#
#   scripts/worker.sh [celery worker options]
set -u
cd "$(dirname "$0")/.."

child=0
stop() {
    [ "$child" -ne 0 ] && kill -TERM "$child" 2>/dev/null && wait "$child"
    exit 0
}
trap stop TERM INT

while true; do
    .venv/bin/celery -A config worker "$@" &
    child=$!
    wait "$child"
    status=$?
    # A clean stop (a warm shutdown asked for) ends it; only a failure starts it again.
    [ "$status" -eq 0 ] && exit 0
    echo "worker: stopped with status $status; starting again in 2 s" >&2
    sleep 2
done
