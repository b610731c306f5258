#!/usr/bin/env bash
# Prepare this machine for the portal: the system packages it needs and the project's .venv.
#
#   scripts/bootstrap.sh [runtime|dev]     (default: runtime)
#
# runtime: clamd, Pango and a font for the letters (WeasyPrint), gettext + requirements/local.txt
#          (Django, Celery, the embedded S3 server); then compiles the translations (locale/).
# dev:     also Chromium for the browser tests + requirements/dev.txt (pytest, Playwright, ruff).
#
# Safe to re-run; when everything is already there it only checks and returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-runtime}
case $mode in
runtime) requirements=(requirements/base.txt requirements/local.txt) ;;
dev) requirements=(requirements/base.txt requirements/local.txt requirements/dev.txt) ;;
*)
    echo "usage: $0 [runtime|dev]" >&2
    exit 2
    ;;
esac

# apt-get needs root; a developer's own account goes through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Something (a system service, or ours from scripts/services.sh) already answers on the Redis port?
redis_answers() {
    if command -v redis-cli >/dev/null; then
        [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]
    else
        (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null
    fi
}

# --- system packages: decided by the binaries we run, so the common case costs no apt call ---
missing=()
[ -x /usr/sbin/clamd ] || missing+=(clamav-daemon)
# Playwright's own browser download cannot work here; the browser tests drive Debian's Chromium.
# Of its recommended packages only the fonts matter headless (the rest are desktop services).
[ "$mode" = dev ] && [ ! -x /usr/bin/chromium ] && missing+=(chromium fonts-liberation)
# Letters are PDFs drawn by WeasyPrint, which lays text out with Pango and needs a font with wide
# coverage (patients' names in any script): DejaVu, the letters' first font. Both runtime and dev.
# Decided by ldconfig's cache, read once (grep -q in a pipe would trip pipefail).
libraries=$(/sbin/ldconfig -p 2>/dev/null || true)
[[ $libraries == *libpango-1.0.so.0* ]] || missing+=(libpango-1.0-0)
[[ $libraries == *libpangoft2-1.0.so.0* ]] || missing+=(libpangoft2-1.0-0)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# Debian's python3 lacks venv (and so pip) until python3-venv is installed.
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
# GNU gettext's msgfmt compiles the translations (below); xgettext is what makemessages runs.
command -v msgfmt >/dev/null || missing+=(gettext)
# The broker/cache: only when neither a running server nor the binary is present.
redis_answers || [ -x /usr/bin/redis-server ] || missing+=(redis-server)

if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- Python environment ---
[ -x .venv/bin/python ] || python3 -m venv .venv

# The stamp records a successful install; it is stale once any requirements file it covers changes.
# A dev install is a superset of runtime, so its stamp satisfies runtime too.
up_to_date() {
    local stamp=.venv/.installed-$1 req
    [ -f "$stamp" ] || return 1
    for req in "${requirements[@]}"; do
        [ "$stamp" -nt "$req" ] || return 1
    done
}

if up_to_date "$mode" || { [ "$mode" = runtime ] && up_to_date dev; }; then
    echo "bootstrap: .venv up to date ($mode)"
else
    echo "bootstrap: installing ${requirements[-1]} into .venv"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r "${requirements[-1]}"
    touch ".venv/.installed-$mode"
fi

# --- translations: locale/*/LC_MESSAGES/django.po compiled to the .mo files Django reads ---
# The .mo files are built here, for `make run` and `make test` alike, and never committed
# (.gitignore). Only a catalogue newer than its .mo (or without one) starts Django to compile,
# so a re-run with nothing changed costs no more than these file dates.
stale=false
for po in locale/*/LC_MESSAGES/*.po; do
    [ -e "$po" ] || continue
    [ "${po%.po}.mo" -nt "$po" ] || stale=true
done
if $stale; then
    echo "bootstrap: compiling the translations in locale/"
    PORTAL_IGNORE_DOTENV=true .venv/bin/python manage.py compilemessages -v0 \
        --ignore=.venv --ignore=var --ignore=node_modules --ignore=staticfiles
fi
