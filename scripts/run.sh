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
echo "Brightline is starting on http://127.0.0.1:$PORT  (Ctrl-C stops it)"
exec .venv/bin/brightline runserver --noreload "127.0.0.1:$PORT"
