#!/usr/bin/env bash
# Run the full test suite -- the README's test command, also used by CI (.ci/run).
#
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh -m "not browser and not libreoffice" -x   # extra args go to pytest
#
# On a fresh Debian 12 machine (as root) it installs what the tests need:
#   apt: libreoffice-calc-nogui (headless LibreOffice, formula recalculation + PDF), poppler-utils (PDF to PNG),
#        libzbar0 and libdmtx0b (barcode decoders for the label tests),
#        chromium (real-browser tests), fonts-dejavu-core (PDF rendering),
#        libatomic1 (needed by Playwright's bundled node driver),
#        postgresql (the store tests start a private server: initdb/pg_ctl as the postgres user);
#        only when missing, so reruns stay fast.  SKIP_APT=1 skips this step.
#   .venv: created with Python 3.11 if missing; requirements-dev.txt installed
#        (re-run only when the requirements files change; FORCE_PIP=1 forces it).
# Exit code: pytest's, except "no tests collected" (5), which is a failure (1).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
START_ALL=$SECONDS

# shellcheck source=scripts/_setup.sh
source "$ROOT/scripts/_setup.sh"

# ---------------------------------------------------------------- system packages
step "checking system packages (LibreOffice, Chromium, poppler, fonts, PostgreSQL)"
missing=()
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
# pdfinfo/pdftoppm: the Excel record tests render the exported PDF to check it prints and to look at it.
{ command -v pdfinfo && command -v pdftoppm; } >/dev/null 2>&1 || missing+=(poppler-utils)
# Playwright's bundled node driver links against libatomic.so.1 (absent on minimal Debian).
{ PATH="$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null || true; } | grep -q 'libatomic\.so\.1 ' || missing+=(libatomic1)
# The store tests (-m store) run against a real PostgreSQL; Debian's initdb is not on PATH.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# libzbar0 / libdmtx0b: the label tests decode the QR / GS1 DataMatrix barcodes (pyzbar, pylibdmtx load them).
{ PATH="$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null || true; } | grep -q 'libzbar\.so\.0 ' || missing+=(libzbar0)
{ PATH="$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null || true; } | grep -q 'libdmtx\.so\.0 ' || missing+=(libdmtx0b)
if [ "${#missing[@]}" -eq 0 ]; then
    echo "    soffice:  $(command -v soffice)"
    echo "    chromium: $(command -v chromium)"
    echo "    initdb:   $(ls /usr/lib/postgresql/*/bin/initdb | tail -n 1)"
elif [ "${SKIP_APT:-0}" = 1 ]; then
    echo "    missing: ${missing[*]} (SKIP_APT=1: not installing; those tests will skip, or fail under CI)"
else
    echo "    missing: ${missing[*]}"
    apt_install "${missing[@]}"
fi

# ---------------------------------------------------------------- python + venv
ensure_venv
pip_install_requirements requirements-dev.txt

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
