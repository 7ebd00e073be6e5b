#!/usr/bin/env bash
# Set up and serve Brightline on its embedded defaults: SQLite, in-process jobs, the demo organisation.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PORT="${PORT:-8000}"
.venv/bin/brightline migrate --no-input -v 0
.venv/bin/brightline collectstatic --no-input -v 0
# Loads the demo into an empty database, prints its accounts when it is there, and leaves real data alone.
.venv/bin/brightline demo load || echo "Serving the existing data."
echo
# Periodic work (evidence syncs, nightly signals, retention, fortnightly drafts) runs in a second process
# next to the server, and stops with it. See docs/deployment.md, "Periodic work".
.venv/bin/brightline scheduler run >>var/scheduler.log 2>&1 &
scheduler_pid=$!
trap 'kill "$scheduler_pid" 2>/dev/null || true' EXIT
echo "Brightline is starting on http://127.0.0.1:$PORT  (Ctrl-C stops it; the scheduler logs to var/scheduler.log)"
.venv/bin/brightline runserver --noreload "127.0.0.1:$PORT"
