#!/usr/bin/env bash
# `make test`'s pytest run as three lanes at once. Most of the suite's time is spent waiting (for browsers,
# servers, stacks starting and the network), so on 2 cores the lanes overlap well: ~20 minutes one after
# another. Each lane has a database, a Redis database and a RabbitMQ vhost of its own (the tests' fixtures
# empty theirs before every test), and the stack lane runs in test slot 1 (tests/slot.py): its ports,
# databases and vhosts, and a Redis server of its own on 127.0.0.1:6401, which its tests stop and restart.
#   main     everything the others do not run (the default database, Redis db 1, vhost /)
#   browser  tests/e2e: Chromium against live servers
#   stack    tests/stack and tests/cluster (full stacks started by scripts/stack.sh), then, to even out the
#            lanes' lengths, the web servers' and the security tests
# Tests marked stops_shared_service (RabbitMQ's outage) run after the lanes, alone: every lane uses that server.
# Each lane's output is shown when every lane is done; the run fails if any lane does. A lane still running
# after LANE_TIMEOUT (three times the slowest lane here) is stopped and fails: a hung test then shows in its
# output, not as a CI run that waits out its own limit.
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1

PYTEST=.venv/bin/pytest
LANE_TIMEOUT=40m
SERVICES=127.0.0.1
STACK_REDIS_PORT=6401  # tests/slot.py: slot 1's Redis
LANE_VHOSTS=(parley_browser parley_s1)
LOGS=$(mktemp -d)
BROWSER_TESTS=(tests/e2e)
STACK_TESTS=(tests/stack tests/cluster tests/test_web_servers.py tests/security)

lane_env() {  # database redis-url vhost
  echo "DATABASE_URL=postgres://root@$SERVICES:5432/$1" "REDIS_URL=$2" \
    "CELERY_BROKER_URL=amqp://guest:guest@$SERVICES:5672/$3"
}

set_up() {
  for vhost in "${LANE_VHOSTS[@]}"; do
    rabbitmqctl -q add_vhost "$vhost" && rabbitmqctl -q set_permissions -p "$vhost" guest ".*" ".*" ".*"
  done
  redis-server --daemonize yes --bind "$SERVICES" --port "$STACK_REDIS_PORT" --save "" --appendonly no \
    --logfile "$LOGS/redis-$STACK_REDIS_PORT.log"
}

clean_up() {
  redis-cli -p "$STACK_REDIS_PORT" shutdown nosave >/dev/null 2>&1
  for vhost in "${LANE_VHOSTS[@]}"; do rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1; done
  rm -rf "$LOGS"
}

declare -A PIDS
start_lane() {  # name env-words -- pytest arguments
  local name=$1 environment=$2
  shift 2
  # shellcheck disable=SC2086  # the environment is a list of words
  timeout --kill-after=30s "$LANE_TIMEOUT" env $environment "$PYTEST" -p no:cacheprovider "$@" \
    >"$LOGS/$name.log" 2>&1 &
  PIDS[$name]=$!
}

trap clean_up EXIT
set_up || exit 1
STACK_LANE_ENV="PARLEY_TEST_SLOT=1 $(lane_env parley_s1 "redis://$SERVICES:$STACK_REDIS_PORT/1" parley_s1)"
start_lane main "" "${BROWSER_TESTS[@]/#/--ignore=}" "${STACK_TESTS[@]/#/--ignore=}"
start_lane browser "$(lane_env parley_browser "redis://$SERVICES:6379/3" parley_browser)" "${BROWSER_TESTS[@]}"
start_lane stack "$STACK_LANE_ENV" -m "not stops_shared_service" "${STACK_TESTS[@]}"

failed=()
timed_out=()
finish_lane() {  # name
  local status=0
  wait "${PIDS[$1]}" || status=$?
  if ((status == 124 || status == 137)); then timed_out+=("$1"); fi  # timeout's TERM, or its KILL after
  if ((status)); then failed+=("$1"); fi
}

LANES=(main browser stack)
for name in "${LANES[@]}"; do
  finish_lane "$name"
done
LANES+=(alone)
start_lane alone "$STACK_LANE_ENV" -m stops_shared_service tests/stack
finish_lane alone
for name in "${LANES[@]}"; do
  echo "=============================== lane: $name ==============================="
  cat "$LOGS/$name.log"
  if [[ " ${timed_out[*]} " == *" $name "* ]]; then echo "lane $name stopped after $LANE_TIMEOUT"; fi
done
if ((${#failed[@]})); then
  echo "error: the ${failed[*]} lane(s) failed" >&2
  exit 1
fi
echo "every lane passed"
