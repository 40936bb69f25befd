"""Real-browser test helpers: a Streamlit server on a free port + Debian Chromium.

``playwright install`` cannot download browsers here, so Playwright drives the
system Chromium (``/usr/bin/chromium``, package ``chromium``) via
``executable_path``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence, Tuple, Union

from . import REPO_ROOT

PathLike = Union[str, "os.PathLike[str]"]

#: Flags for headless Chromium as root in a sandbox without network access.
#: --no-sandbox: root cannot use Chromium's sandbox.  The background-networking
#: flags stop Chromium from phoning home (those connections are refused here
#: and only add noise/delay).
CHROMIUM_ARGS: Tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
)

STREAMLIT_START_TIMEOUT = float(os.environ.get("STREAMLIT_START_TIMEOUT", "90"))


# --------------------------------------------------------------------------- chromium


def find_chromium() -> Optional[str]:
    """Path of a Chromium executable ($CHROMIUM, then PATH, then /usr/bin), or None."""
    override = os.environ.get("CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in ("/usr/bin/chromium", "/usr/lib/chromium/chromium"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def chromium_or_skip_reason() -> Tuple[Optional[str], Optional[str]]:
    """``(path, None)`` if Chromium + the playwright package exist, else ``(None, reason)``."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None, "python package 'playwright' is not installed (pip install -r requirements-dev.txt)"
    path = find_chromium()
    if path is None:
        return None, (
            "Chromium not found; install it with `apt-get install chromium` "
            "or run scripts/test.sh (`playwright install` cannot work here)"
        )
    return path, None


def launch_chromium(playwright, executable_path: Optional[str] = None, **kwargs):
    """Launch headless system Chromium with Playwright's sync API.

    Playwright creates (and deletes) a fresh temporary user-data dir for every
    ``launch``.  Extra keyword arguments go to ``playwright.chromium.launch``.
    """
    exe = executable_path or find_chromium()
    if exe is None:
        raise RuntimeError(chromium_or_skip_reason()[1])
    args = list(CHROMIUM_ARGS) + list(kwargs.pop("args", []))
    kwargs.setdefault("headless", True)
    kwargs.setdefault("timeout", 60_000)
    return playwright.chromium.launch(executable_path=exe, args=args, **kwargs)


# --------------------------------------------------------------------------- streamlit server


def free_port() -> int:
    """An unused TCP port on 127.0.0.1 (tiny race window; start() retries)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StreamlitServer:
    """A ``streamlit run`` child process.  Use :func:`run_streamlit` normally."""

    script: Path
    port: int
    cwd: Path
    extra_args: Sequence[str] = ()
    env: Optional[dict] = None
    process: Optional["subprocess.Popen[bytes]"] = field(default=None, repr=False)
    log_path: Optional[Path] = None
    _tmp: Optional[Path] = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(errors="replace")
        return ""

    def command(self) -> list:
        return [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(self.script),
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={self.port}",
            "--server.fileWatcherType=none",
            "--server.runOnSave=false",
            "--browser.gatherUsageStats=false",
            "--global.developmentMode=false",
            *self.extra_args,
        ]

    def start(self, timeout: float = STREAMLIT_START_TIMEOUT) -> "StreamlitServer":
        self._tmp = Path(tempfile.mkdtemp(prefix="streamlit-test-"))
        self.log_path = self._tmp / "streamlit.log"
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
        env.setdefault("PYTHONUNBUFFERED", "1")
        # Make the repository importable from the app (like running from the root).
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
        )
        with open(self.log_path, "wb") as log:  # a file, not a pipe: it can never fill up
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group, killed as a whole in stop()
            )
        self._wait_healthy(timeout)
        return self

    def _wait_healthy(self, timeout: float) -> None:
        health = f"{self.url}/_stcore/health"
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with code {self.process.returncode} before becoming "
                    f"healthy.\ncommand: {' '.join(self.command())}\nlog:\n{self.log()}"
                )
            try:
                with urllib.request.urlopen(health, timeout=2) as resp:
                    if resp.status == 200 and resp.read().strip() == b"ok":
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(
                    f"streamlit did not answer {health} within {timeout:.0f}s.\nlog:\n{self.log()}"
                )
            time.sleep(0.2)

    def stop(self, timeout: float = 10) -> None:
        proc = self.process
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
                try:
                    os.killpg(proc.pid, sig)
                except (ProcessLookupError, PermissionError):
                    break
                try:
                    proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # stray children, if any
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


@contextlib.contextmanager
def run_streamlit(
    script: PathLike = REPO_ROOT / "app.py",
    *,
    cwd: Optional[PathLike] = None,
    port: Optional[int] = None,
    extra_args: Sequence[str] = (),
    env: Optional[dict] = None,
    timeout: float = STREAMLIT_START_TIMEOUT,
    attempts: int = 3,
) -> Iterator[StreamlitServer]:
    """Start ``streamlit run SCRIPT`` on a free localhost port; yield the server.

    ``server.url`` is the base URL.  The process group is terminated on exit.
    ``cwd`` defaults to the repository root.
    """
    script_path = Path(script).resolve()
    if not script_path.is_file():
        raise FileNotFoundError(f"streamlit script not found: {script_path}")
    last_error: Optional[BaseException] = None
    server: Optional[StreamlitServer] = None
    for _ in range(attempts if port is None else 1):
        server = StreamlitServer(
            script=script_path,
            port=port or free_port(),
            cwd=Path(cwd or REPO_ROOT),
            extra_args=tuple(extra_args),
            env=env,
        )
        try:
            server.start(timeout=timeout)
            break
        except RuntimeError as exc:  # e.g. port grabbed by someone else meanwhile
            last_error = exc
            server.stop()
            server = None
    if server is None:
        raise RuntimeError(f"could not start streamlit: {last_error}")
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- page helpers

_APP = '[data-testid="stApp"]'
_IDLE = (
    f'{_APP}[data-test-script-state="notRunning"], '
    f'{_APP}[data-test-script-state="compilationError"]'
)


def wait_for_streamlit_idle(
    page, timeout: float = 30_000, initial_wait: float = 250, settle: float = 150
) -> None:
    """Wait until the Streamlit app is connected and its script is not running.

    Streamlit marks the root element ``[data-testid="stApp"]`` with
    ``data-test-connection-state`` and ``data-test-script-state``
    (``initial`` / ``running`` / ``rerunRequested`` / ``notRunning`` ...).  A
    widget interaction only flips the state once the rerun request has been
    sent, hence the short ``initial_wait`` before checking.  Prefer auto-waiting
    assertions (``playwright.sync_api.expect(...).to_have_text``) for content.
    Times are milliseconds.
    """
    if initial_wait:
        page.wait_for_timeout(initial_wait)
    page.wait_for_selector(f'{_APP}[data-test-connection-state="CONNECTED"]', timeout=timeout)
    page.wait_for_selector(_IDLE, timeout=timeout)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout)
    if settle:
        page.wait_for_timeout(settle)


def open_app(page, url: str, timeout: float = 60_000) -> None:
    """Navigate to a Streamlit app and wait for its first run to finish."""
    page.goto(url, wait_until="domcontentloaded", timeout=timeout)
    page.wait_for_selector(_APP, timeout=timeout)
    wait_for_streamlit_idle(page, timeout=timeout, initial_wait=0)


def set_number_input(page, label: str, value, timeout: float = 30_000) -> None:
    """Type ``value`` into the ``st.number_input`` labelled ``label`` and commit it."""
    box = page.get_by_label(label, exact=True)
    box.fill(str(value), timeout=timeout)
    box.press("Enter")
    wait_for_streamlit_idle(page, timeout=timeout)


def click_button(page, name: str, timeout: float = 30_000) -> None:
    """Click the ``st.button`` with visible text ``name`` and wait for the rerun."""
    page.get_by_role("button", name=name, exact=True).click(timeout=timeout)
    wait_for_streamlit_idle(page, timeout=timeout)
