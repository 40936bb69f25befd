#!/usr/bin/env bash
# Start the LDN calculator web app -- the README's app command.
#
#   bash scripts/run-app.sh                      # http://127.0.0.1:8501
#   PORT=8502 bash scripts/run-app.sh
#   bash scripts/run-app.sh --server.port=9000   # extra args go to `streamlit run`
#
# Creates .venv (Python 3.11) if missing and installs requirements.txt.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
VENV="$ROOT/.venv"

pick_python() {
    local c
    for c in "${PYTHON:-}" python3.11 python3; do
        [ -n "$c" ] || continue
        command -v "$c" >/dev/null 2>&1 || continue
        if "$c" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)' 2>/dev/null; then
            echo "$c"; return 0
        fi
    done
    return 1
}

if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "==> removing broken $VENV"
    rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
    PY="$(pick_python)" || { echo "error: Python >= 3.11 not found (set PYTHON=...)" >&2; exit 1; }
    echo "==> creating .venv with $PY ($("$PY" --version 2>&1))"
    "$PY" -m venv "$VENV" || {
        echo "error: '$PY -m venv' failed; on Debian: apt-get install python3-venv" >&2; exit 1; }
fi

STAMP="$VENV/.requirements.sha256"
want="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [ "${FORCE_PIP:-0}" = 1 ] || [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
    echo "==> pip install -r requirements.txt"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q -r requirements.txt
    echo "$want" > "$STAMP"
fi

PORT="${PORT:-8501}"
echo "==> streamlit run app.py on http://127.0.0.1:$PORT${*:+ (extra args: $*)} -- Ctrl+C to stop"
# Later options win, so "$@" can override any default below.
exec "$VENV/bin/python" -m streamlit run app.py \
    --server.headless=true \
    --server.address=127.0.0.1 \
    --server.port="$PORT" \
    --browser.gatherUsageStats=false \
    "$@"
