"""A private, throw-away PostgreSQL server for the store tests (Debian's ``postgresql`` package).

``initdb`` and ``pg_ctl`` refuse to run as root, and the tests run as root in CI, so they run as the
``postgres`` user (``runuser -u postgres --``) when we are root. The cluster lives in a temporary
folder owned by that user, listens only on a Unix socket in its own folder (the port, a free one,
only names the socket), and runs with ``fsync=off``: it is thrown away at the end of the session.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["pg_bin_or_skip_reason", "PostgresServer", "run_postgres"]


def pg_bin_or_skip_reason() -> tuple[Path | None, str]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        return None, "PostgreSQL is not installed (apt-get install postgresql; scripts/test.sh does it)"
    return Path(found[-1]).parent, ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    bin_dir: Path
    base: Path
    port: int

    @property
    def socket_dir(self) -> Path:
        return self.base / "socket"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def _run(self, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        proc = subprocess.run([*as_postgres, *args], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            log = (self.base / "server.log")
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}\n{tail}")

    def start(self) -> None:
        data = self.base / "data"
        self._run(str(self.bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        options = (f"-k {self.socket_dir} -p {self.port} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.base / "server.log"),
                  "-w", "-t", "60", "start")

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.base / "data"), "-m", "immediate", "-w", "stop")


@contextlib.contextmanager
def run_postgres(bin_dir: Path) -> Iterator[PostgresServer]:
    base = Path(tempfile.mkdtemp(prefix="ldn-pg-"))
    (base / "socket").mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(base / "socket", "postgres", "postgres")
    server = PostgresServer(bin_dir, base, _free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
