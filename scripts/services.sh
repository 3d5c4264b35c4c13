#!/usr/bin/env bash
# Make sure PostgreSQL, Redis and RabbitMQ answer on 127.0.0.1 before the tests run:
# a service that is installed but stopped is started; a missing one stops the run with a hint.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() {  # name port seconds
  local deadline=$((SECONDS + $3))
  until port_open "$2"; do
    if ((SECONDS >= deadline)); then
      echo "error: $1 did not come up on 127.0.0.1:$2 within $3 s" >&2
      return 1
    fi
    sleep 0.5
  done
}

missing() {  # name hint
  echo "error: $1 is not installed on this machine. Install it with: $2" >&2
  exit 1
}

ensure_postgres() {
  port_open 5432 && return 0
  command -v pg_ctlcluster >/dev/null || missing PostgreSQL "apt-get install postgresql"
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  wait_for_port PostgreSQL 5432 30
}

ensure_redis() {
  port_open 6379 && return 0
  command -v redis-server >/dev/null || missing Redis "apt-get install redis-server"
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for_port Redis 6379 15
}

ensure_rabbitmq() {
  port_open 5672 && return 0
  command -v rabbitmq-server >/dev/null || missing RabbitMQ "apt-get install rabbitmq-server"
  echo "starting RabbitMQ"
  rabbitmq-server -detached
  # await_startup fails until the node has registered (~3 s), so retry it.
  for _ in $(seq 1 60); do
    rabbitmqctl -q await_startup >/dev/null 2>&1 && break
    sleep 1
  done
  wait_for_port RabbitMQ 5672 30
}

ensure_postgres
ensure_redis
ensure_rabbitmq
echo "services ready: PostgreSQL :5432, Redis :6379, RabbitMQ :5672"
