# Shared set-up for the README's two commands (sourced by scripts/test.sh and scripts/run-app.sh,
# never run on its own): apt installs as root, the .venv with Python >= 3.11, and pip installs that
# are skipped while the requirements files are unchanged. Expects ROOT (the repository) to be set.

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

# ensure_venv: create $ROOT/.venv if missing (or broken); sets VENV and VPY.
ensure_venv() {
    VENV="$ROOT/.venv"
    if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
        step "removing broken $VENV"
        rm -rf "$VENV"
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        local py t=$SECONDS
        py="$(pick_python)" || { echo "error: Python >= 3.11 not found (set PYTHON=...)" >&2; exit 1; }
        step "creating .venv with $py ($("$py" --version 2>&1))"
        if ! "$py" -c 'import ensurepip, venv' >/dev/null 2>&1 && [ "${SKIP_APT:-0}" != 1 ]; then
            apt_install python3-venv   # Debian's python3 ships venv/ensurepip separately
        fi
        "$py" -m venv "$VENV"
        took "$t"
    fi
    VPY="$VENV/bin/python"
    echo "    venv python: $("$VPY" --version 2>&1) at $VPY"
}

# pip_install_requirements FILE: install FILE into .venv unless the requirements files it reads are
# unchanged since the last install (FORCE_PIP=1 forces it).
pip_install_requirements() {
    local file="$1" stamp want t=$SECONDS
    stamp="$VENV/.${file%.txt}.sha256"
    want="$(cat requirements*.txt | sha256sum | cut -d' ' -f1)"
    if [ "${FORCE_PIP:-0}" = 1 ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        step "pip install -r $file"
        "$VPY" -m pip install --disable-pip-version-check --progress-bar off -q -r "$file"
        echo "$want" > "$stamp"
        took "$t"
    else
        step "python requirements unchanged since last install (FORCE_PIP=1 to reinstall)"
    fi
}
