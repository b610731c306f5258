#!/usr/bin/env bash
# The portal's local services, all on loopback, with their state under var/:
#
#   scripts/services.sh start|stop|status [clamd|s3|redis|all]...     (default: all)
#
#   clamd  virus scanner on 127.0.0.1:$CLAMD_PORT (3310), loaded with the project's test signature
#   s3     SeaweedFS "weed mini": S3 API on http://127.0.0.1:8333 with bucket $S3_BUCKET
#   redis  Celery broker and cache on 127.0.0.1:6379, only when no Redis answers there already
#
# start leaves a service that already answers alone, and waits until each one it starts answers.
# stop only stops what this script started: those have a pid file in var/run/.
# Overrides: CLAMD_PORT, REDIS_PORT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY,
# SERVICES_TIMEOUT (seconds to wait for a service to answer, default 60).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
var=$root/var
run=$var/run

CLAMD_PORT=${CLAMD_PORT:-3310}
S3_BUCKET=${S3_BUCKET:-claim-portal-documents}
S3_ACCESS_KEY_ID=${S3_ACCESS_KEY_ID:-portal-local}
S3_SECRET_ACCESS_KEY=${S3_SECRET_ACCESS_KEY:-portal-local-secret}
export S3_BUCKET S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY # read by s3_up's Python
S3_PORT=8333 # weed mini's default, and the portal's default S3_ENDPOINT_URL
# Every port weed mini listens on (master, volume, filer, S3, their gRPC, admin): one taken fails it.
WEED_PORTS=(9333 19333 9340 19340 8888 18888 8333 18333 23646 33646)
REDIS_PORT=${REDIS_PORT:-6379}
TIMEOUT=${SERVICES_TIMEOUT:-60}

# clamd's own LogFile (see clamd.conf.in) doubles as the place for its stderr.
log_of() {
    case $1 in clamd) echo "$var/clamav/clamd.log" ;; s3) echo "$var/seaweedfs.log" ;; *) echo "$var/$1.log" ;; esac
}

# Does anything accept connections on this loopback port?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- "is it answering?" checks, by the service's own protocol ---

clamd_up() (
    exec 3<>"/dev/tcp/127.0.0.1/$CLAMD_PORT" || exit 1
    printf 'zPING\0' >&3
    read -r -t 2 -d '' reply <&3 || true
    [ "$reply" = PONG ]
) 2>/dev/null

# The S3 server is only useful to us once the bucket exists and our credentials work.
# With CREATE_BUCKET=1 a missing bucket is created, so that a server that is already running
# serves an S3_BUCKET override too (weed mini creates -bucket only when it starts).
s3_up() {
    port_open "$S3_PORT" && [ -x "$root/.venv/bin/python" ] || return 1
    "$root/.venv/bin/python" - <<'EOF' 2>/dev/null
import os, boto3, botocore.config, botocore.exceptions
s3 = boto3.client(
    "s3", endpoint_url="http://127.0.0.1:8333", region_name="us-east-1",
    aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
    config=botocore.config.Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 1}),
)
try:
    s3.head_bucket(Bucket=os.environ["S3_BUCKET"])
except botocore.exceptions.ClientError as e:
    if e.response["Error"]["Code"] != "404" or not os.environ.get("CREATE_BUCKET"):
        raise
    s3.create_bucket(Bucket=os.environ["S3_BUCKET"])
EOF
}

redis_up() (
    exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" || exit 1
    printf 'PING\r\n' >&3
    read -r -t 2 reply <&3 || exit 1
    [ "${reply%$'\r'}" = +PONG ]
) 2>/dev/null

# --- pid files ---

# Print the pid from var/run/<name>.pid if that process is alive and is still the program we
# started: after a reboot the file may name an unrelated process, which must never be killed.
our_pid() {
    local name=$1 pid comm
    case $name in s3) comm=weed ;; redis) comm=redis-server ;; *) comm=$name ;; esac
    read -r pid 2>/dev/null <"$run/$name.pid" || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || return 1
    alive "$pid" && echo "$pid"
}

# Is the process there and not a zombie (exited, waiting to be reaped)?
alive() {
    local state
    read -r _ _ state _ 2>/dev/null <"/proc/$1/stat" && [ "$state" != Z ]
}

# Run a program in the background and record its pid. setsid gives it a session of its own, so
# neither the terminal's hangup nor a Ctrl-C meant for `make run` or pytest reaches it.
# Its stderr goes to the service's log; its stdout there too unless STDOUT names another file.
launch() {
    local name=$1 log
    shift
    log=$(log_of "$name")
    mkdir -p "$run" "$(dirname "$log")"
    setsid "$@" >>"${STDOUT:-$log}" 2>>"$log" </dev/null &
    echo $! >"$run/$name.pid"
}

fail() {
    local name=$1 log
    log=$(log_of "$name")
    echo "$name: ERROR: $2" >&2
    if [ -s "$log" ]; then
        echo "--- last lines of $log ---" >&2
        tail -n 20 "$log" >&2
    fi
    exit 1
}

# --- how each service is started ---

start_clamd() {
    local bin
    bin=$(command -v clamd || echo /usr/sbin/clamd)
    [ -x "$bin" ] || fail clamd "clamd is not installed; run scripts/bootstrap.sh"
    mkdir -p "$var/clamav/db" "$run"
    sed -e "s|@VAR_DIR@|$var|g" -e "s|@CLAMD_PORT@|$CLAMD_PORT|g" \
        "$root/services/clamd/clamd.conf.in" >"$var/clamav/clamd.conf"
    # Only the project's signatures: the official databases would add a minute to every start.
    cp "$root/services/clamd/portal-test.ndb" "$var/clamav/db/"
    # In the foreground clamd repeats its LogFile on stdout; its stderr has the config errors.
    STDOUT=/dev/null launch clamd "$bin" -c "$var/clamav/clamd.conf"
}

start_s3() {
    [ -x "$root/.venv/bin/weed" ] || fail s3 ".venv/bin/weed is missing; run scripts/bootstrap.sh"
    mkdir -p "$var/seaweedfs"
    # weed mini takes its admin credentials from the AWS_* variables and creates -bucket at start.
    # WebDAV, Iceberg and Lance are switched off: unused, and three fewer ports to collide on.
    launch s3 env AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$S3_SECRET_ACCESS_KEY" \
        "$root/.venv/bin/weed" mini -dir="$var/seaweedfs" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
        -bucket="$S3_BUCKET" -master.telemetry=false -admin.ui=false \
        -webdav=false -s3.port.iceberg=0 -s3.port.lance=0
}

start_redis() {
    command -v redis-server >/dev/null || fail redis "redis-server is not installed; run scripts/bootstrap.sh"
    mkdir -p "$var/redis"
    # In the foreground under setsid like the others, so the pid is known the moment it starts.
    launch redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
        --dir "$var/redis" --daemonize no
}

# Ports a service needs that something else already holds.
taken_ports() {
    local port ports
    case $1 in
    clamd) ports=("$CLAMD_PORT") ;;
    s3) ports=("${WEED_PORTS[@]}") ;;
    redis) ports=("$REDIS_PORT") ;;
    esac
    for port in "${ports[@]}"; do port_open "$port" && echo -n "$port "; done
    true
}

start() {
    local name=$1 pid taken deadline launched=''
    if CREATE_BUCKET=1 "${name}_up"; then
        echo "$name: already running"
        return
    fi
    if pid=$(our_pid "$name"); then
        echo "$name: started earlier (pid $pid) but not answering; waiting for it"
    else
        taken=$(taken_ports "$name")
        [ -z "$taken" ] || fail "$name" "port(s) ${taken}in use by another program; stop it or change the port"
        echo "$name: starting"
        "start_$name"
        read -r pid <"$run/$name.pid"
        launched=1
    fi
    deadline=$((SECONDS + TIMEOUT))
    until "${name}_up"; do
        # Not our_pid: until setsid has exec'd the program, the process still has setsid's name.
        alive "$pid" || fail "$name" "exited during startup"
        if ((SECONDS >= deadline)); then
            [ -z "$launched" ] || stop "$name" >/dev/null
            fail "$name" "did not answer within ${TIMEOUT}s${launched:+ (stopped it again)}; try: $0 stop $name; $0 start $name"
        fi
        sleep 0.5
    done
    echo "$name: running (pid $(our_pid "$name"), log $(log_of "$name"))"
}

stop() {
    local name=$1 pid i
    if ! pid=$(our_pid "$name"); then
        rm -f "$run/$name.pid"
        if "${name}_up"; then
            echo "$name: running, but not started by this script; left alone"
        else
            echo "$name: not running"
        fi
        return
    fi
    kill "$pid"
    # weed takes a few seconds to flush and close its volumes.
    for ((i = 0; i < 60; i++)); do
        our_pid "$name" >/dev/null || break
        sleep 0.5
    done
    if our_pid "$name" >/dev/null; then
        echo "$name: still running after 30s; killing it"
        kill -KILL "$pid"
    fi
    rm -f "$run/$name.pid"
    echo "$name: stopped"
}

status() {
    local name=$1 pid
    if "${name}_up"; then
        if pid=$(our_pid "$name"); then
            echo "$name: running (pid $pid)"
        else
            echo "$name: running (not started by this script)"
        fi
    elif pid=$(our_pid "$name"); then
        echo "$name: not answering (pid $pid, started by this script; see $(log_of "$name"))"
    else
        echo "$name: stopped"
    fi
}

action=${1:-}
shift || true
case $action in
start | stop | status) ;;
*)
    echo "usage: $0 start|stop|status [clamd|s3|redis|all]..." >&2
    exit 2
    ;;
esac
services=()
for arg in "${@:-all}"; do
    case $arg in
    all) services+=(clamd s3 redis) ;;
    clamd | s3 | redis) services+=("$arg") ;;
    *)
        echo "$0: unknown service '$arg' (clamd, s3, redis or all)" >&2
        exit 2
        ;;
    esac
done
for name in "${services[@]}"; do
    "$action" "$name"
done
