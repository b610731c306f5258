#!/usr/bin/env bash
# The portal's local services, all on loopback, with their state under var/:
#
#   scripts/services.sh start|stop|status [clamd|s3|redis|all]...     (default: all)
#
#   clamd  virus scanner on 127.0.0.1:$CLAMD_PORT (3310), loaded with the project's test signature
#   s3     SeaweedFS "weed mini": S3 API on http://127.0.0.1:8333 with bucket $S3_BUCKET; its other
#          ports serve nothing to a caller without the keys in var/seaweedfs-secrets/ (see start_s3)
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
# SeaweedFS's own credentials, made once per machine on first start; var/ is never committed.
S3_SECRETS=$var/seaweedfs-secrets
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
        "$root/deploy/clamd/clamd.conf.in" >"$var/clamav/clamd.conf"
    # Only the project's signatures: the official databases would add a minute to every start.
    cp "$root/deploy/clamd/portal-test.ndb" "$var/clamav/db/"
    # In the foreground clamd repeats its LogFile on stdout; its stderr has the config errors.
    STDOUT=/dev/null launch clamd "$bin" -c "$var/clamav/clamd.conf"
}

# Make $S3_SECRETS once: security.env with the JWT keys SeaweedFS reads from WEED_* variables
# (names as in `weed scaffold -config=security`), and a CA that signed the one certificate every
# gRPC server requires of its callers and every client presents. The CA's key is not kept: new
# certificates mean a new directory. Built aside and renamed, so a failed run leaves nothing
# half-made.
s3_secrets() {
    [ -s "$S3_SECRETS/security.env" ] && return
    local tmp="$S3_SECRETS.new.$$"
    rm -rf "$tmp"
    (umask 077 && mkdir -p "$tmp") || return 1
    SECRETS=$tmp "$root/.venv/bin/python" - <<'EOF' || {
import datetime, ipaddress, os, pathlib, secrets
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

out = pathlib.Path(os.environ["SECRETS"])
def write(name, data):
    with os.fdopen(os.open(out / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
        f.write(data)

def cert(subject, key, issuer, issuer_key, *extensions):
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=3650)))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

ca_key, node_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
ca = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "claim portal local SeaweedFS CA")])
node = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seaweedfs")])
loopback = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
usage = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
write("ca.crt", cert(ca, ca_key, ca, ca_key, (x509.BasicConstraints(True, 0), True)))
write("node.crt", cert(node, node_key, ca, ca_key, (x509.BasicConstraints(False, None), True),
                       (x509.SubjectAlternativeName(loopback), False),
                       (x509.ExtendedKeyUsage(usage), False)))
write("node.key", node_key.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
names = ["SIGNING_KEY", "SIGNING_READ_KEY", "FILER_SIGNING_KEY", "FILER_SIGNING_READ_KEY"]
write("security.env", "".join(f"WEED_JWT_{n}={secrets.token_hex(32)}\n" for n in names).encode())
EOF
        rm -rf "$tmp"
        return 1
    }
    rm -rf "$S3_SECRETS" && mv "$tmp" "$S3_SECRETS"
}

# Export what $S3_SECRETS holds as the WEED_* variables weed reads (they win over a security.toml).
s3_secrets_env() {
    local component
    set -a
    # shellcheck source=/dev/null
    . "$S3_SECRETS/security.env"
    set +a
    export WEED_GRPC_CA="$S3_SECRETS/ca.crt"
    for component in MASTER VOLUME FILER S3 ADMIN WORKER MSG_BROKER MSG_AGENT MQ CLIENT; do
        export "WEED_GRPC_${component}_CERT=$S3_SECRETS/node.crt" \
            "WEED_GRPC_${component}_KEY=$S3_SECRETS/node.key"
    done
}

# Only the S3 API answers callers without SeaweedFS's own keys, and it checks the portal's key:
# - -disableHttp removes the master's and the filer's HTTP API: the filer would list and serve
#   every object to anyone, the master would take uploads. What stays there is the master's
#   cluster status page and both health checks: volume counts and sizes, no object, no name.
# - with the JWT keys the volume server refuses every read and write of a blob that is not signed
#   for it (the S3 gateway gets its tokens over gRPC), and so would the filer's HTTP API.
# - every gRPC port (master, volume, filer, S3, admin) requires the certificate in $S3_SECRETS.
# - the admin UI is off; its port keeps only /health and /metrics.
start_s3() {
    [ -x "$root/.venv/bin/weed" ] || fail s3 ".venv/bin/weed is missing; run scripts/bootstrap.sh"
    mkdir -p "$var/seaweedfs"
    s3_secrets || fail s3 "could not create SeaweedFS's keys in $S3_SECRETS"
    # weed mini takes its admin credentials from the AWS_* variables and creates -bucket at start.
    # WebDAV, Iceberg and Lance are switched off: unused, and three fewer ports to collide on.
    # The keys go through the environment, not the command line, which every local user can read.
    (
        s3_secrets_env
        export AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$S3_SECRET_ACCESS_KEY"
        launch s3 "$root/.venv/bin/weed" mini -dir="$var/seaweedfs" -ip=127.0.0.1 \
            -ip.bind=127.0.0.1 -bucket="$S3_BUCKET" -master.telemetry=false -admin.ui=false \
            -disableHttp -webdav=false -s3.port.iceberg=0 -s3.port.lance=0
    )
}

# A SeaweedFS started before start_s3 locked its ports down lets anyone read every object through
# its filer, whose listing answers 200 to a plain GET.
s3_warn_if_open() {
    local status
    status=$(
        exec 3<>/dev/tcp/127.0.0.1/8888 || exit
        printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        read -r -t 2 _ status _ <&3 && echo "$status"
    ) 2>/dev/null || true
    [ "$status" != 200 ] || echo "s3: WARNING: its filer on 127.0.0.1:8888 serves every object" \
        "without credentials; restart it to lock it down: $0 stop s3 && $0 start s3" >&2
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
        [ "$name" != s3 ] || s3_warn_if_open
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
    # weed's main thread can exit (a zombie to our_pid) while its other threads still hold a port,
    # and a start straight after would find it taken.
    for ((i = 0; i < 40; i++)); do
        [ -n "$(taken_ports "$name")" ] || break
        sleep 0.25
    done
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
