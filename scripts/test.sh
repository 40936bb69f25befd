#!/usr/bin/env bash
# Run the full test suite -- the README's test command, also used by CI (.ci/run).
#
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh -m "not browser and not libreoffice" -x   # extra args go to pytest
#
# On a fresh Debian 12 machine (as root) it installs what the tests need:
#   apt: libreoffice-calc-nogui (headless LibreOffice, formula recalculation + PDF), poppler-utils (PDF to PNG),
#        chromium (real-browser tests), fonts-dejavu-core (PDF rendering),
#        libatomic1 (needed by Playwright's bundled node driver);
#        only when missing, so reruns stay fast.  SKIP_APT=1 skips this step.
#   .venv: created with Python 3.11 if missing; requirements-dev.txt installed
#        (re-run only when the requirements files change; FORCE_PIP=1 forces it).
# Exit code: pytest's, except "no tests collected" (5), which is a failure (1).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
START_ALL=$SECONDS

step() { printf '\n==> %s\n' "$*"; }
took() { printf '    (%ss)\n' "$((SECONDS - $1))"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "error: need root (or sudo) to run: $*" >&2; exit 1
    fi
}

APT_UPDATED=0
apt_install() {
    local t=$SECONDS
    export DEBIAN_FRONTEND=noninteractive
    # Wait (up to 10 min) instead of failing if another apt/dpkg holds the lock.
    local lock=(-o DPkg::Lock::Timeout=600)
    if [ "$APT_UPDATED" -eq 0 ]; then
        step "apt-get update"
        as_root apt-get "${lock[@]}" update -q
        APT_UPDATED=1
    fi
    step "apt-get install --no-install-recommends $*"
    as_root apt-get "${lock[@]}" install -y -q --no-install-recommends "$@"
    took "$t"
}

# ---------------------------------------------------------------- system packages
step "checking system packages (LibreOffice, Chromium, poppler, fonts)"
missing=()
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
# pdfinfo/pdftoppm: the Excel record tests render the exported PDF to check it prints and to look at it.
{ command -v pdfinfo && command -v pdftoppm; } >/dev/null 2>&1 || missing+=(poppler-utils)
# Playwright's bundled node driver links against libatomic.so.1 (absent on minimal Debian).
{ PATH="$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null || true; } | grep -q 'libatomic\.so\.1 ' || missing+=(libatomic1)
if [ "${#missing[@]}" -eq 0 ]; then
    echo "    soffice:  $(command -v soffice)"
    echo "    chromium: $(command -v chromium)"
elif [ "${SKIP_APT:-0}" = 1 ]; then
    echo "    missing: ${missing[*]} (SKIP_APT=1: not installing; those tests will skip, or fail under CI)"
else
    echo "    missing: ${missing[*]}"
    apt_install "${missing[@]}"
fi

# ---------------------------------------------------------------- python + venv
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

VENV="$ROOT/.venv"
if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    step "removing broken $VENV"
    rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
    PY="$(pick_python)" || { echo "error: Python >= 3.11 not found (set PYTHON=...)" >&2; exit 1; }
    step "creating .venv with $PY ($("$PY" --version 2>&1))"
    t=$SECONDS
    if ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1 && [ "${SKIP_APT:-0}" != 1 ]; then
        apt_install python3-venv   # Debian's python3 ships venv/ensurepip separately
    fi
    "$PY" -m venv "$VENV"
    took "$t"
fi
VPY="$VENV/bin/python"
echo "    venv python: $("$VPY" --version 2>&1) at $VPY"

STAMP="$VENV/.requirements-dev.sha256"
want="$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"
if [ "${FORCE_PIP:-0}" = 1 ] || [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
    step "pip install -r requirements-dev.txt"
    t=$SECONDS
    "$VPY" -m pip install --disable-pip-version-check --progress-bar off -q -r requirements-dev.txt
    echo "$want" > "$STAMP"
    took "$t"
else
    step "python requirements unchanged since last install (FORCE_PIP=1 to reinstall)"
fi

# ---------------------------------------------------------------- tests
step "python -m pytest $*"
t=$SECONDS
set +e
"$VPY" -m pytest "$@"
rc=$?
set -e
took "$t"

if [ "$rc" -eq 5 ]; then
    echo "error: pytest collected no tests (exit code 5) -- treating as failure" >&2
    rc=1
fi
step "scripts/test.sh finished with exit code $rc in $((SECONDS - START_ALL))s"
exit "$rc"
