#!/usr/bin/env bash
# Run the whole suite on SQLite, then again on a throw-away PostgreSQL server, with a
# throw-away Redis for the Celery tests. Servers listen on loopback only and are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test --contextual-model  # the optional model too, so its own tests run
echo "== Lint (ruff, mypy on the pure core)"
.venv/bin/ruff check src tests bench tools
.venv/bin/mypy

work=$(mktemp -d /tmp/brightline-test.XXXXXX)
chmod 755 "$work"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
as_postgres=()
if [ "$(id -u)" -eq 0 ]; then
  as_postgres=(runuser -u postgres --)  # initdb refuses to run as root
  chown postgres "$work"
fi

cleanup() {
  [ -f "$work/pg/postmaster.pid" ] && "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

pg_port=$(free_port)
"${as_postgres[@]}" "$pg_bin/initdb" -D "$work/pg" -U postgres -A trust --no-sync -E UTF8 >/dev/null
"${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
  -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60" start >/dev/null
echo "PostgreSQL on 127.0.0.1:$pg_port"

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$work/redis.pid" --dir "$work" --logfile "$work/redis.log"
export REDIS_URL="redis://127.0.0.1:$redis_port/0"
echo "Redis on 127.0.0.1:$redis_port"

export BRIGHTLINE_HOME="$work/home"
mkdir -p "$BRIGHTLINE_HOME"
status=0
# Two workers (one per core on the CI machine); each test file stays on one worker, so a module's demo
# organisation is set up once, and each worker has its own test database (on PostgreSQL a worker builds the demo
# once and copies it for each file or test that needs it: tests/conftest.py, demo_snapshot). Files are handed out
# in the order tests/conftest.py collects them (the longest first), not by their number of tests.
parallel=(-n "${BRIGHTLINE_TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder)
# What depends on the database runs on both. The pure core, the tests that use no test database (marked
# no_database by tests/conftest.py) and the slow end-to-end tests (browser walks, schemathesis against the
# live server, clock shifts, worker kills, backups) run once, on PostgreSQL. Arguments go to pytest in these
# two passes (a file, -k, -x ...).
echo "== Test suite on SQLite (without the pure core, the tests without a database and the slow end-to-end tests)"
DATABASE_URL="sqlite:///var/test.sqlite3" .venv/bin/pytest "${parallel[@]}" \
  -m "not browser and not clock and not live and not no_database" --ignore=tests/core "$@" || status=1
echo "== Test suite on PostgreSQL"
DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/brightline" .venv/bin/pytest "${parallel[@]}" "$@" || status=1
echo "== Date sensitivity on PostgreSQL: the demo tests again with the clock a year ahead"
BRIGHTLINE_TEST_CLOCK_SHIFT_DAYS=365 DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/brightline" \
  .venv/bin/pytest "${parallel[@]}" -q tests/test_demo_coherence.py tests/test_governance_demo.py \
  || status=1
exit $status
