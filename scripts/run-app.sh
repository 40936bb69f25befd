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
# shellcheck source=scripts/_setup.sh
source "$ROOT/scripts/_setup.sh"
ensure_venv
pip_install_requirements requirements.txt

PORT="${PORT:-8501}"
echo "==> streamlit run app.py on http://127.0.0.1:$PORT${*:+ (extra args: $*)} -- Ctrl+C to stop"
# Later options win, so "$@" can override any default below.
exec "$VPY" -m streamlit run app.py \
    --server.headless=true \
    --server.address=127.0.0.1 \
    --server.port="$PORT" \
    --browser.gatherUsageStats=false \
    "$@"
