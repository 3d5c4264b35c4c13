#!/usr/bin/env bash
# The full Parley stack on this machine's services, in the background:
#   nginx (127.0.0.1:$STACK_PORT) -> $WORKERS web workers (127.0.0.1:8001..800N; uvicorn, or Daphne
#   with STACK_SERVER=daphne) + one Celery worker for the persistence queue (one pool thread) and one
#   for every other queue (metrics on the two ports after the last web worker's) + Celery beat
#   (periodic tasks) + a moto S3 server on 127.0.0.1:9000 unless S3_ENDPOINT_URL is set
#   + an SMTP server on 127.0.0.1:1025 that logs every email (.stack/logs/mail.log) unless EMAIL_URL is set.
# PostgreSQL, Redis and RabbitMQ are the machine's own (see `make services`).
#
# Usage: scripts/stack.sh up | down | status
#        scripts/stack.sh stop-worker N | start-worker N | restart-worker N | kill-worker N
#        scripts/stack.sh kill-celery | start-celery    (both Celery workers)
#
# Everything the stack writes lives in .stack/ at the repo root: pids/ (one pid file per process,
# each the leader of its own process group), logs/, nginx/ (config, temp paths, nginx's pid file),
# data/ (PARLEY_DATA_DIR) and env (the exported variables, for tests: `source .stack/env`).
#
# `up` on a running stack says so and exits 0; if only part of it is alive (a crashed worker, say)
# it stops the rest first and starts afresh. `down` is safe to run when nothing is running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${STACK_DIR:-$ROOT/.stack}"  # several stacks can coexist with their own STACK_DIR and ports
PID_DIR="$RUN_DIR/pids"
LOG_DIR="$RUN_DIR/logs"
NGINX_DIR="$RUN_DIR/nginx"
ENV_FILE="$RUN_DIR/env"
VENV="${VENV:-$ROOT/.venv}"

WORKERS="${WORKERS:-2}"
STACK_PORT="${STACK_PORT:-8080}"
WORKER_BASE_PORT="${STACK_WORKER_BASE_PORT:-8001}"
MOTO_PORT="${STACK_MOTO_PORT:-9000}"
MAIL_PORT="${STACK_MAIL_PORT:-1025}"
STACK_TIMEOUT="${STACK_TIMEOUT:-60}" # seconds to wait for readiness
# The web server: uvicorn (uvloop, httptools) by default, ~20 % less CPU per send; Daphne stays supported.
STACK_SERVER="${STACK_SERVER:-uvicorn}"
# Pool processes of the Celery worker for every queue but persistence's (pushes, previews, housekeeping: they
# mostly wait on the network, so more than the cores). The persistence worker runs one pool thread
# (docs/operations.md says why).
STACK_CELERY_CONCURRENCY="${STACK_CELERY_CONCURRENCY:-4}"
STOP_TIMEOUT="${STOP_TIMEOUT:-15}"   # seconds between SIGTERM and SIGKILL

log() { printf 'stack: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# --- Environment -------------------------------------------------------------------------------

# Defaults for every variable the stack's processes read; anything already exported wins.
set_environment() {
    WORKER_BASE_PORT="${STACK_WORKER_BASE_PORT:-$WORKER_BASE_PORT}"
    MOTO_PORT="${STACK_MOTO_PORT:-$MOTO_PORT}"
    MAIL_PORT="${STACK_MAIL_PORT:-$MAIL_PORT}"
    export STACK_WORKER_BASE_PORT="$WORKER_BASE_PORT" STACK_MOTO_PORT="$MOTO_PORT" STACK_MAIL_PORT="$MAIL_PORT"
    # The Celery workers' metrics exporters (docs/operations.md): by default the two ports after the workers'.
    export STACK_CELERY_METRICS_PORT="${STACK_CELERY_METRICS_PORT:-$((WORKER_BASE_PORT + WORKERS))}"
    export STACK_PERSISTENCE_METRICS_PORT="${STACK_PERSISTENCE_METRICS_PORT:-$((STACK_CELERY_METRICS_PORT + 1))}"
    export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-chatproject.settings.base}"
    export PARLEY_DATA_DIR="${PARLEY_DATA_DIR:-$RUN_DIR/data}"
    export DJANGO_DEBUG="${DJANGO_DEBUG:-false}"
    # A web worker drains its sockets on SIGTERM, then uvicorn gives HTTP requests up to 5 s: both well
    # before stop_process escalates to SIGKILL (STOP_TIMEOUT).
    export PARLEY_DRAIN_SECONDS="${PARLEY_DRAIN_SECONDS:-5}"
    export DJANGO_ALLOWED_HOSTS="${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}"
    # nginx, in front of the workers: the only proxy whose X-Forwarded-For is believed (core/client_ip.py).
    export TRUSTED_PROXIES="${TRUSTED_PROXIES:-127.0.0.1}"
    export DJANGO_CSRF_TRUSTED_ORIGINS="${DJANGO_CSRF_TRUSTED_ORIGINS:-http://127.0.0.1:$STACK_PORT,http://localhost:$STACK_PORT}"
    # nginx serves plain HTTP here, so a Secure refresh cookie would never come back from a client.
    export REFRESH_COOKIE_SECURE="${REFRESH_COOKIE_SECURE:-false}"
    export DATABASE_URL="${DATABASE_URL:-postgres://root@127.0.0.1:5432/parley_stack}"
    export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/2}"
    export CELERY_BROKER_URL="${CELERY_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672//}"
    export S3_BUCKET="${S3_BUCKET:-parley}"
    export S3_REGION="${S3_REGION:-us-east-1}"
    # moto accepts any credentials; set them so boto3 never goes looking for real ones.
    export S3_ACCESS_KEY_ID="${S3_ACCESS_KEY_ID:-stack}"
    export S3_SECRET_ACCESS_KEY="${S3_SECRET_ACCESS_KEY:-stack-secret}"
    # STACK_MOTO remembers (through .stack/env) whether this stack runs its own moto server.
    if [[ -z "${STACK_MOTO:-}" ]]; then
        if [[ -z "${S3_ENDPOINT_URL:-}" ]]; then STACK_MOTO=1; else STACK_MOTO=0; fi
    fi
    [[ "$STACK_MOTO" == 1 ]] && export S3_ENDPOINT_URL="${S3_ENDPOINT_URL:-http://127.0.0.1:$MOTO_PORT}"
    # Email goes to a local SMTP server (aiosmtpd) that logs every message, unless one is set.
    if [[ -z "${STACK_MAIL:-}" ]]; then
        if [[ -z "${EMAIL_URL:-}${EMAIL_HOST:-}" ]]; then STACK_MAIL=1; else STACK_MAIL=0; fi
    fi
    [[ "$STACK_MAIL" == 1 ]] && export EMAIL_URL="${EMAIL_URL:-smtp://127.0.0.1:$MAIL_PORT}"
    export EMAIL_URL="${EMAIL_URL:-}" EMAIL_HOST="${EMAIL_HOST:-}"
    export STACK_URL="http://127.0.0.1:$STACK_PORT"
    export STACK_WS_URL="ws://127.0.0.1:$STACK_PORT/ws/"
    export WORKERS STACK_PORT STACK_MOTO STACK_MAIL
}

write_env_file() {
    local name value
    : >"$ENV_FILE"
    # Single-quoted values: plain for python-dotenv too, and safe for any character in bash.
    for name in DJANGO_SETTINGS_MODULE PARLEY_DATA_DIR DJANGO_DEBUG DJANGO_ALLOWED_HOSTS TRUSTED_PROXIES \
        DJANGO_CSRF_TRUSTED_ORIGINS REFRESH_COOKIE_SECURE DATABASE_URL REDIS_URL CELERY_BROKER_URL \
        S3_BUCKET S3_REGION S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY S3_ENDPOINT_URL EMAIL_URL EMAIL_HOST \
        STACK_URL STACK_WS_URL WORKERS STACK_PORT STACK_MOTO STACK_WORKER_BASE_PORT STACK_MOTO_PORT \
        STACK_MAIL STACK_MAIL_PORT STACK_CELERY_METRICS_PORT STACK_PERSISTENCE_METRICS_PORT; do
        value="${!name}"
        printf "export %s='%s'\n" "$name" "${value//\'/\'\\\'\'}" >>"$ENV_FILE"
    done
}

# Worker commands after `up` must see exactly the environment `up` gave the stack.
load_env_file() {
    [[ -f "$ENV_FILE" ]] || die "no $ENV_FILE: is the stack up?"
    # shellcheck source=/dev/null
    source "$ENV_FILE"
}

make_run_dir() {
    mkdir -p "$PID_DIR" "$LOG_DIR" "$NGINX_DIR" "$PARLEY_DATA_DIR"
    # The run folder ignores itself, so it never needs an entry in the repo's .gitignore.
    printf '*\n' >"$RUN_DIR/.gitignore"
}

# --- Processes ---------------------------------------------------------------------------------

pid_file() { printf '%s/%s.pid' "$PID_DIR" "$1"; }

# What the command line of each process we start contains.
marker_for() {
    case "$1" in
    web-*) printf 'chatproject.asgi:application' ;; # uvicorn or daphne
    moto) printf 'moto_server' ;;
    mail) printf 'aiosmtpd' ;;
    beat) printf 'celery -A chatproject beat' ;;
    persistence) printf 'persistence@' ;; # its --hostname
    *) printf '%s' "$1" ;; # nginx, celery
    esac
}

# Alive means the process group the pid file names still has a member whose command line
# matches what we started (a recycled pid belonging to something else is not ours to kill).
is_running() {
    local name="$1" file pid
    file="$(pid_file "$name")"
    [[ -f "$file" ]] || return 1
    pid="$(<"$file")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    pgrep -g "$pid" -f "$(marker_for "$name")" >/dev/null 2>&1
}

# setsid makes each process the leader of its own group, so stopping the group also stops the
# children it forks (Celery's pool, nginx's workers) and nothing is orphaned.
start_process() {
    local name="$1"
    shift
    setsid "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1 &
    printf '%s\n' "$!" >"$(pid_file "$name")"
}

# Whether any process of group $1 is still running. A process that has exited stays a zombie until its
# parent reaps it, and ours are reparented to whatever reaps orphans here (in some containers every ~2 s):
# `kill -0` on the group would count those and make every stop wait for the reaper.
group_alive() {
    ps -eo pgid=,stat= | awk -v group="$1" '$1 == group && $2 !~ /^Z/ { alive = 1 } END { exit !alive }'
}

# SIGTERM to each named process's group at once, then wait for all of them (SIGKILL after STOP_TIMEOUT).
stop_process() {
    local name file pid deadline
    local -A stopping=()
    for name in "$@"; do
        file="$(pid_file "$name")"
        [[ -f "$file" ]] || continue
        pid="$(<"$file")"
        if is_running "$name"; then
            kill -TERM -- "-$pid" 2>/dev/null || true
            stopping[$name]="$pid"
        fi
    done
    deadline=$((SECONDS + STOP_TIMEOUT))
    for name in "${!stopping[@]}"; do
        pid="${stopping[$name]}"
        while group_alive "$pid" && ((SECONDS < deadline)); do
            sleep 0.1
        done
        if group_alive "$pid"; then
            log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
    done
    for name in "$@"; do
        rm -f "$(pid_file "$name")"
    done
}

# Poll until a command succeeds, up to $DEADLINE (in $SECONDS); fails fast if the process we
# wait for has died, so a worker that cannot import the project is reported at once.
DEADLINE=0
wait_until() {
    local name="$1"
    shift
    until "$@"; do
        is_running "$name" || {
            log "$name exited during start-up"
            return 1
        }
        ((SECONDS < DEADLINE)) || {
            log "timed out waiting for $name"
            return 1
        }
        sleep 0.5
    done
}

http_ok() { curl --silent --fail --max-time 3 --output /dev/null "$1"; }

# Both Celery workers have declared their queues and consume (whatever LOG_LEVEL hides from their logs).
celery_ready() {
    "$VENV/bin/celery" -A chatproject inspect ping -d "stack@$(hostname),persistence@$(hostname)" --timeout 2 2>/dev/null |
        grep -c ': OK' | grep -qx 2
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- Pieces of the stack -----------------------------------------------------------------------

ensure_nginx() {
    if command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]]; then return 0; fi
    [[ "$(id -u)" == 0 ]] || die "nginx is not installed; run: sudo apt-get install -y nginx"
    log "installing nginx (Debian package)"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >/dev/null
}

nginx_bin() { command -v nginx || printf '/usr/sbin/nginx'; }

check_ports_free() {
    local port ports
    mapfile -t ports < <(worker_ports)
    ports+=("$STACK_PORT" "$STACK_CELERY_METRICS_PORT" "$STACK_PERSISTENCE_METRICS_PORT")
    [[ "$STACK_MOTO" == 1 ]] && ports+=("$MOTO_PORT")
    [[ "$STACK_MAIL" == 1 ]] && ports+=("$MAIL_PORT")
    for port in "${ports[@]}"; do
        ! port_in_use "$port" || die "127.0.0.1:$port is already in use by something else"
    done
}

worker_port() { printf '%d' $((WORKER_BASE_PORT + $1 - 1)); }

worker_ports() {
    local i
    for ((i = 1; i <= WORKERS; i++)); do printf '%d\n' $((WORKER_BASE_PORT + i - 1)); done
}

ensure_database() {
    "$VENV/bin/python" - <<'PY'
import os
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

url = urlsplit(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
# Connect to the maintenance database of the same server to create ours if it is missing.
with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created database {name}")
PY
}

# One interpreter for the three commands: each would otherwise pay Django's start-up (~2 s here).
prepare_django() {
    log "migrate, convert_queues and collectstatic (log: $LOG_DIR/setup.log)"
    "$VENV/bin/python" - >>"$LOG_DIR/setup.log" 2>&1 <<'PY' || die "Django set-up failed; see $LOG_DIR/setup.log"
import django
from django.core.management import call_command

django.setup()
call_command("migrate", interactive=False)
call_command("convert_queues")
call_command("collectstatic", interactive=False)
PY
}

start_moto() {
    [[ "$STACK_MOTO" == 1 ]] || return 0
    start_process moto "$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT"
    wait_until moto http_ok "$S3_ENDPOINT_URL/"
}

# Prints each message it receives (headers and body) into .stack/logs/mail.log.
start_mail() {
    [[ "$STACK_MAIL" == 1 ]] || return 0
    start_process mail "$VENV/bin/python" -m aiosmtpd -n -l "127.0.0.1:$MAIL_PORT" \
        -c aiosmtpd.handlers.Debugging
    wait_until mail port_in_use "$MAIL_PORT"
}

ensure_bucket() {
    "$VENV/bin/python" - <<'PY'
import os

import boto3

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["S3_ENDPOINT_URL"],
    aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
    region_name=os.environ["S3_REGION"],
)
bucket = os.environ["S3_BUCKET"]
if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
    s3.create_bucket(Bucket=bucket)  # private by default: no ACL granted
PY
}

start_worker() {
    local index="$1" port
    port="$(worker_port "$index")"
    # uvicorn: every deployment's options (scripts/web-server). Neither server rewrites the client address:
    # the application believes nginx's X-Forwarded-For because TRUSTED_PROXIES names 127.0.0.1.
    case "$STACK_SERVER" in
    uvicorn)
        UVICORN="$VENV/bin/uvicorn" start_process "web-$index" "$ROOT/scripts/web-server" --host 127.0.0.1 \
            --port "$port"
        ;;
    daphne)
        DATABASE_POOL="${DATABASE_POOL:-true}" start_process "web-$index" "$VENV/bin/daphne" -b 127.0.0.1 \
            -p "$port" chatproject.asgi:application # pooled, as scripts/web-server's
        ;;
    *) die "STACK_SERVER must be uvicorn or daphne, not '$STACK_SERVER'" ;;
    esac
}

wait_worker() {
    local index="$1"
    wait_until "web-$index" http_ok "http://127.0.0.1:$(worker_port "$index")/healthz"
}

write_nginx_conf() {
    local port upstreams=""
    for port in $(worker_ports); do
        upstreams+="        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"$'\n'
    done
    cat >"$NGINX_DIR/nginx.conf" <<EOF
# Generated by scripts/stack.sh; rewritten on every \`up\`.
daemon off;
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $LOG_DIR/nginx-error.log warn;

events {
    worker_connections 4096;
}

http {
    # The path, not the request line: a socket's URL carries its token in the query string.
    log_format parley '\$remote_addr - \$remote_user [\$time_local] "\$request_method \$uri \$server_protocol" '
                      '\$status \$body_bytes_sent "\$http_referer" "\$http_user_agent"';
    access_log $LOG_DIR/nginx-access.log parley;
    client_body_temp_path $NGINX_DIR/client_body;
    proxy_temp_path $NGINX_DIR/proxy;
    fastcgi_temp_path $NGINX_DIR/fastcgi;
    uwsgi_temp_path $NGINX_DIR/uwsgi;
    scgi_temp_path $NGINX_DIR/scgi;
    default_type application/octet-stream;
    client_max_body_size 26m;  # uploads up to FILE_UPLOAD_MAX_BYTES (25 MiB) plus form overhead

    # A WebSocket handshake asks for an upgrade; plain requests close the upstream connection.
    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ''      close;
    }

    upstream parley {
        # Sockets live for hours: balance on open connections, not on requests.
        least_conn;
$upstreams    }

    server {
        listen 127.0.0.1:$STACK_PORT;

        # A request nginx itself cannot parse (a NUL in a header, a malformed request line, headers over its
        # buffers) gets the API's standard error body, as the web workers answer theirs
        # (realtime/unreadable_requests.py), not nginx's HTML page. The workers' own 400s pass through as
        # they are (proxy_intercept_errors is off).
        error_page 400 494 =400 /_parley/unreadable;
        location = /_parley/unreadable {
            default_type application/json;
            return 400 '{"error":{"code":"bad_request","detail":"The request could not be read.","fields":{}}}';
        }

        location / {
            proxy_pass http://parley;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$http_host;
            proxy_set_header X-Real-IP \$remote_addr;
            # The edge: what a client wrote in X-Forwarded-For is dropped, only the address nginx saw goes on.
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Forwarded-Proto \$scheme;
            # An idle chat socket must not be cut after nginx's default 60 s.
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }
    }
}
EOF
}

start_nginx() {
    write_nginx_conf
    local nginx_cmd=("$(nginx_bin)" -e "$LOG_DIR/nginx-error.log" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf")
    "${nginx_cmd[@]}" -t -q 2>>"$LOG_DIR/nginx-error.log" || die "nginx config test failed"
    start_process nginx "${nginx_cmd[@]}"
}

# Two Celery workers: one for every queue but persistence's, one for persistence's alone.
start_celery() {
    # Prefork pool: its processes share their metrics through files in an emptied folder, for this
    # worker only (the web workers serve their own); the exporter sums them (docs/operations.md).
    local metrics_dir="$RUN_DIR/celery-metrics"
    rm -rf "$metrics_dir" && mkdir -p "$metrics_dir"
    # main() runs everything from the repo root, so `-A chatproject` imports.
    PROMETHEUS_MULTIPROC_DIR="$metrics_dir" CELERY_METRICS_PORT="$STACK_CELERY_METRICS_PORT" \
        start_process celery "$VENV/bin/celery" -A chatproject worker -l info --concurrency "$STACK_CELERY_CONCURRENCY" \
        --exclude-queues persistence --hostname "stack@%h"
    CELERY="$VENV/bin/celery" CELERY_METRICS_PORT="$STACK_PERSISTENCE_METRICS_PORT" \
        start_process persistence "$ROOT/scripts/persistence-worker"
}

# The periodic tasks (CELERY_BEAT_SCHEDULE); beat's schedule file stays in the run folder.
start_beat() {
    start_process beat "$VENV/bin/celery" -A chatproject beat -l info --schedule "$RUN_DIR/celerybeat-schedule"
}

# --- Status ------------------------------------------------------------------------------------

# Every process `up` starts (moto only when it started one).
stack_members() {
    local i
    echo nginx
    for ((i = 1; i <= WORKERS; i++)); do echo "web-$i"; done
    echo celery
    echo persistence
    echo beat
    [[ "$STACK_MOTO" == 1 ]] && echo moto
    [[ "$STACK_MAIL" == 1 ]] && echo mail
    return 0
}

count_running() {
    local name alive=0 total=0
    for name in $(stack_members); do
        total=$((total + 1))
        is_running "$name" && alive=$((alive + 1))
    done
    printf '%d %d' "$alive" "$total"
}

print_summary() {
    local i name
    printf 'Parley stack at %s (WebSockets: %s)\n' "$STACK_URL" "$STACK_WS_URL"
    for ((i = 1; i <= WORKERS; i++)); do
        name="web-$i"
        printf '  %-11s 127.0.0.1:%s  pid %s\n' "$name" "$(worker_port "$i")" "$(<"$(pid_file "$name")")"
    done
    printf '  %-11s 127.0.0.1:%s  pid %s\n' nginx "$STACK_PORT" "$(<"$(pid_file nginx)")"
    printf '  %-11s %-15s pid %s  (metrics)\n' celery "127.0.0.1:$STACK_CELERY_METRICS_PORT" "$(<"$(pid_file celery)")"
    printf '  %-11s %-15s pid %s  (metrics)\n' persistence "127.0.0.1:$STACK_PERSISTENCE_METRICS_PORT" \
        "$(<"$(pid_file persistence)")"
    printf '  %-11s %-15s pid %s\n' beat "" "$(<"$(pid_file beat)")"
    if [[ "$STACK_MAIL" == 1 ]]; then
        printf '  %-11s 127.0.0.1:%s  pid %s  (emails: %s)\n' \
            mail "$MAIL_PORT" "$(<"$(pid_file mail)")" "$LOG_DIR/mail.log"
    fi
    if [[ "$STACK_MOTO" == 1 ]]; then
        printf '  %-11s 127.0.0.1:%s  pid %s\n' moto "$MOTO_PORT" "$(<"$(pid_file moto)")"
    else
        printf '  S3 at %s (not started here)\n' "$S3_ENDPOINT_URL"
    fi
    printf 'logs: %s\npids: %s\nenv:  source %s\n' "$LOG_DIR" "$PID_DIR" "$ENV_FILE"
}

# --- Commands ----------------------------------------------------------------------------------

# If `up` fails half-way, leave nothing behind and show why.
on_up_exit() {
    local status=$?
    ((status == 0)) && return
    local file
    for file in "$LOG_DIR"/*.log; do
        [[ -s "$file" ]] || continue
        printf '\n===== %s (last 20 lines) =====\n' "$file" >&2
        tail -n 20 "$file" >&2
    done
    if is_running nginx; then
        log "readyz says: $(curl --silent --max-time 5 "$STACK_URL/readyz" || true)"
    fi
    log "start-up failed; stopping what was started"
    stop_all
    exit "$status"
}

cmd_up() {
    [[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a positive integer"
    if [[ -f "$ENV_FILE" ]] && compgen -G "$PID_DIR/*.pid" >/dev/null; then
        # A previous `up`: judge it by the environment it was started with.
        (
            load_env_file
            set_environment
            read -r alive total < <(count_running)
            if ((alive == total)) && http_ok "$STACK_URL/readyz"; then
                log "already running ($alive processes); 'scripts/stack.sh down' to stop it"
                print_summary
                exit 0
            fi
            exit 1
        ) && return 0
        log "a partial or unhealthy stack was found; stopping it before starting afresh"
        stop_all
    fi

    set_environment
    make_run_dir
    rm -f "$LOG_DIR"/*.log # each `up` starts fresh logs, so a failure shows only its own
    ensure_nginx
    check_ports_free
    write_env_file
    trap on_up_exit EXIT

    ensure_database
    prepare_django
    DEADLINE=$((SECONDS + STACK_TIMEOUT))
    start_moto
    start_mail
    ensure_bucket
    local i
    for ((i = 1; i <= WORKERS; i++)); do start_worker "$i"; done
    start_celery
    start_beat
    for ((i = 1; i <= WORKERS; i++)); do wait_worker "$i"; done
    wait_until celery celery_ready
    start_nginx
    wait_until nginx http_ok "$STACK_URL/readyz"
    trap - EXIT
    print_summary
}

# Front door first, so no request reaches a worker that is shutting down; S3 last.
stop_all() {
    local file
    local -a workers=() others=()
    [[ -d "$PID_DIR" ]] || return 0
    stop_process nginx
    for file in "$PID_DIR"/web-*.pid; do
        [[ -e "$file" ]] && workers+=("$(basename "$file" .pid)")
    done
    stop_process "${workers[@]}" # each drains its own sockets: together, not one after another
    stop_process beat celery persistence
    stop_process moto mail
    for file in "$PID_DIR"/*.pid; do # anything else a future version may have started
        [[ -e "$file" ]] && others+=("$(basename "$file" .pid)")
    done
    stop_process "${others[@]}"
    return 0
}

cmd_down() {
    if ! compgen -G "$PID_DIR/*.pid" >/dev/null; then
        log "nothing is running"
        return 0
    fi
    stop_all
    log "stopped; logs kept in $LOG_DIR"
}

cmd_status() {
    local name
    [[ -f "$ENV_FILE" ]] || {
        log "not running"
        return 1
    }
    load_env_file
    set_environment
    for name in $(stack_members); do
        if is_running "$name"; then
            printf '  %-11s up    pid %s\n' "$name" "$(<"$(pid_file "$name")")"
        else
            printf '  %-11s down\n' "$name"
        fi
    done
    if http_ok "$STACK_URL/readyz"; then echo "readyz: ok"; else echo "readyz: failing"; fi
}

# For failover tests: one web worker by index (1..WORKERS), in the stack's own environment.
cmd_worker() {
    local action="$1" index="${2:-}"
    load_env_file
    set_environment
    if ! [[ "$index" =~ ^[0-9]+$ ]] || ((index < 1 || index > WORKERS)); then
        die "worker index must be 1..$WORKERS"
    fi
    case "$action" in
    stop-worker) stop_process "web-$index" ;;
    kill-worker) # an abrupt crash: no graceful close of its sockets
        is_running "web-$index" && kill -KILL -- "-$(<"$(pid_file "web-$index")")"
        rm -f "$(pid_file "web-$index")"
        ;;
    start-worker | restart-worker)
        [[ "$action" == restart-worker ]] && stop_process "web-$index"
        is_running "web-$index" && die "web-$index is already running"
        start_worker "$index"
        DEADLINE=$((SECONDS + STACK_TIMEOUT))
        wait_worker "$index"
        log "web-$index on 127.0.0.1:$(worker_port "$index") pid $(<"$(pid_file "web-$index")")"
        ;;
    esac
}

cmd_celery() {
    load_env_file
    set_environment
    case "$1" in
    kill-celery) # an abrupt crash of both workers: their unacknowledged tasks go back to RabbitMQ
        local name
        for name in celery persistence; do
            is_running "$name" && kill -KILL -- "-$(<"$(pid_file "$name")")"
            rm -f "$(pid_file "$name")"
        done
        ;;
    start-celery)
        if is_running celery || is_running persistence; then die "a Celery worker is already running"; fi
        start_celery
        log "celery pid $(<"$(pid_file celery)"), persistence pid $(<"$(pid_file persistence)")"
        ;;
    esac
}

main() {
    cd "$ROOT"
    case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    stop-worker | start-worker | restart-worker | kill-worker) cmd_worker "$1" "${2:-}" ;;
    kill-celery | start-celery) cmd_celery "$1" ;;
    *)
        sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
    esac
}

main "$@"
