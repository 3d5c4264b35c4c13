#!/usr/bin/env bash
# Make sure PostgreSQL, Redis and RabbitMQ answer on 127.0.0.1 before the tests run: a service that is
# installed but stopped is started, one whose port is open but which no longer answers its protocol is
# restarted (a wedged broker would otherwise fail every test, one connection timeout at a time), and a missing
# one stops the run with a hint.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_free() { ! port_open "$1"; }

wait_until() {  # seconds what command...: retry the command until it succeeds, for at most that long
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    if ((SECONDS >= deadline)); then
      echo "error: $what" >&2
      return 1
    fi
    sleep 0.5
  done
}

wait_for_port() {  # name port seconds
  wait_until "$3" "$1 did not come up on 127.0.0.1:$2 within $3 s" port_open "$2"
}

wait_for_port_free() {  # name port seconds
  wait_until "$3" "$1 still holds 127.0.0.1:$2 after $3 s" port_free "$2"
}

missing() {  # name hint
  echo "error: $1 is not installed on this machine. Install it with: $2" >&2
  exit 1
}

# The first bytes of a real answer: PostgreSQL through pg_isready, Redis to PING, and RabbitMQ's
# Connection.Start method frame (type 1) to the AMQP 0-9-1 protocol header.
postgres_answers() { timeout 10 pg_isready -q -h 127.0.0.1 -p 5432; }
redis_answers() { [[ "$(timeout 10 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == PONG ]]; }
rabbitmq_answers() {
  # shellcheck disable=SC2016  # the inner shell expands it
  timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5672 && printf "AMQP\x00\x00\x09\x01" >&3 &&
    [[ "$(head -c 1 <&3 | od -An -tx1 | tr -d " ")" == 01 ]]' 2>/dev/null
}

ensure_postgres() {
  port_open 5432 && postgres_answers && return 0
  command -v pg_ctlcluster >/dev/null || missing PostgreSQL "apt-get install postgresql"
  local action=start
  if port_open 5432; then
    echo "PostgreSQL holds 127.0.0.1:5432 but is not accepting connections: restarting it"
    action=restart
  fi
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main "$action" -m fast
  wait_for_port PostgreSQL 5432 30
}

ensure_redis() {
  port_open 6379 && redis_answers && return 0
  if port_open 6379; then
    echo "Redis holds 127.0.0.1:6379 but does not answer PING: restarting it"
    pkill -9 -f 'redis-server 127.0.0.1:6379' || true
    wait_for_port_free Redis 6379 15
  fi
  command -v redis-server >/dev/null || missing Redis "apt-get install redis-server"
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for_port Redis 6379 15
}

ensure_rabbitmq() {
  port_open 5672 && rabbitmq_answers && return 0
  command -v rabbitmq-server >/dev/null || missing RabbitMQ "apt-get install rabbitmq-server"
  if port_open 5672; then
    echo "RabbitMQ holds 127.0.0.1:5672 but does not answer AMQP: restarting it"
    timeout 30 rabbitmqctl -q stop >/dev/null 2>&1 || pkill -9 -f beam.smp || true
    wait_for_port_free RabbitMQ 5672 30
  fi
  echo "starting RabbitMQ"
  rabbitmq-server -detached
  # await_startup fails until the node has registered (~3 s), so retry it.
  for _ in $(seq 1 60); do
    rabbitmqctl -q await_startup >/dev/null 2>&1 && break
    sleep 1
  done
  wait_for_port RabbitMQ 5672 30
  rabbitmq_answers || { echo "error: RabbitMQ does not answer AMQP on 127.0.0.1:5672" >&2; exit 1; }
}

ensure_postgres
ensure_redis
ensure_rabbitmq
echo "services ready: PostgreSQL :5432, Redis :6379, RabbitMQ :5672"
