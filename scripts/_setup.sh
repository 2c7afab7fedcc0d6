# Shared set-up of scripts/run and scripts/test (sourced, not run): a virtualenv with the Python packages,
# and the frontend's npm packages and build. Each step is skipped when its inputs have not changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT"

find_python() {
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] < (3, 13) else 1)'; then
      echo "$candidate"
      return
    fi
  done
  echo "error: Python 3.11 or 3.12 is needed (found: $(python3 --version 2>&1 || echo none))" >&2
  exit 1
}

# setup_python EXTRAS: install the project (editable) with the given extras, e.g. "" or "test".
setup_python() {
  local extras="$1" spec="." stamp
  [ -n "$extras" ] && spec=".[$extras]"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtualenv .venv"
    "$(find_python)" -m venv "$VENV"
  fi
  stamp="$VENV/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras:-base}"
  if [ ! -f "$stamp" ]; then
    echo "==> installing Python packages ($spec)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$spec"
    touch "$stamp"
  fi
}

setup_frontend() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm (Node.js 20) is needed to build the frontend" >&2
    exit 1
  fi
  local stamp="frontend/node_modules/.installed-$(sha256sum frontend/package-lock.json | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "==> installing npm packages"
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
  local sources
  sources="$(cd frontend && find src index.html package-lock.json vite.config.ts tsconfig.json -type f -print0 2>/dev/null |
    sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  if [ ! -f "frontend/dist/.built-$sources" ]; then
    echo "==> building the frontend"
    (cd frontend && npm run build --silent)
    touch "frontend/dist/.built-$sources"
  fi
}
