"""Headless LibreOffice helpers for checking workbooks written by openpyxl.

openpyxl writes formulas but no cached results, so
``openpyxl.load_workbook(path, data_only=True)`` returns ``None`` for every
formula cell.  :func:`recalculate` round-trips the file through LibreOffice
Calc, which computes every formula and stores the results, so the output can
be read back with ``data_only=True``.

Each call uses its own throw-away LibreOffice user profile
(``-env:UserInstallation=...``) so parallel or leftover soffice processes never
clash, and that profile sets Calc's "Recalculation on File Load" option to
*Always* for both Excel 2007+ and ODF files (``OOXMLRecalcMode`` /
``ODFRecalcMode`` = 0; the shipped default is 1 = *Never*, which keeps any
stale cached values that happen to be in the file).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Optional, Sequence, Tuple, Union

PathLike = Union[str, "os.PathLike[str]"]

#: Seconds allowed for one soffice conversion (override with LIBREOFFICE_TIMEOUT).
DEFAULT_TIMEOUT = float(os.environ.get("LIBREOFFICE_TIMEOUT", "180"))

#: Excel error values as openpyxl reports them from cached results.
EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "Err:502", "Err:504"}
)

# 0 = always recalculate on load, 1 = never (LibreOffice default), 2 = ask.
_REGISTRY_MODIFICATIONS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" \
oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" \
oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


class LibreOfficeError(RuntimeError):
    """A LibreOffice conversion failed; the message includes soffice's output."""


def find_soffice() -> Optional[str]:
    """Path of the soffice executable ($SOFFICE, then PATH), or None."""
    override = os.environ.get("SOFFICE")
    if override:
        return override if os.access(override, os.X_OK) else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in ("/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def soffice_or_skip_reason() -> Tuple[Optional[str], Optional[str]]:
    """``(path, None)`` if LibreOffice is usable, else ``(None, reason)``."""
    path = find_soffice()
    if path is None:
        return None, (
            "LibreOffice (soffice) not found; install it with "
            "`apt-get install --no-install-recommends libreoffice-calc-nogui` "
            "or run scripts/test.sh"
        )
    return path, None


def _require_soffice(soffice: Optional[str]) -> str:
    if soffice:
        return soffice
    path, reason = soffice_or_skip_reason()
    if path is None:
        raise LibreOfficeError(reason)
    return path


def make_profile(parent: Optional[PathLike] = None) -> Path:
    """Create a fresh LibreOffice user-profile directory that always recalculates."""
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-", dir=parent))
    (profile / "user").mkdir()
    (profile / "user" / "registrymodifications.xcu").write_text(
        _REGISTRY_MODIFICATIONS, encoding="utf-8"
    )
    return profile


def _convert(
    src: PathLike,
    out_dir: PathLike,
    convert_to: str,
    extension: str,
    *,
    soffice: Optional[str] = None,
    timeout: Optional[float] = None,
) -> Path:
    exe = _require_soffice(soffice)
    src_path = Path(src).resolve()
    if not src_path.is_file():
        raise FileNotFoundError(src_path)
    out_path = Path(out_dir).resolve()
    out_path.mkdir(parents=True, exist_ok=True)
    target = out_path / f"{src_path.stem}.{extension}"
    if target == src_path:
        raise ValueError(
            f"out_dir {out_path} would overwrite the input {src_path}; use another directory"
        )

    work = Path(tempfile.mkdtemp(prefix="lo-convert-"))
    try:
        profile = make_profile(work)
        tmp_out = work / "out"
        tmp_out.mkdir()
        cmd: Sequence[str] = [
            exe,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--nologo",
            "--convert-to",
            convert_to,
            "--outdir",
            str(tmp_out),
            str(src_path),
        ]
        env = dict(os.environ)
        env.setdefault("SAL_USE_VCLPLUGIN", "svp")  # never try to open a display
        env["HOME"] = str(work)  # keep ~/.config etc. out of the real home
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=work,
            start_new_session=True,  # own process group: soffice.bin dies with it
            text=True,
        )
        limit = DEFAULT_TIMEOUT if timeout is None else timeout
        try:
            output, _ = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            output, _ = proc.communicate()
            raise LibreOfficeError(
                f"soffice timed out after {limit:.0f}s converting {src_path}:\n{output}"
            ) from None
        finally:
            _kill_group(proc)  # reap any helper left in the group

        produced = tmp_out / target.name
        if proc.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
            raise LibreOfficeError(
                f"soffice failed converting {src_path} to {convert_to} "
                f"(exit code {proc.returncode}).\ncommand: {' '.join(cmd)}\noutput:\n{output}"
            )
        shutil.move(str(produced), str(target))
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _kill_group(proc: "subprocess.Popen[str]") -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def recalculate(
    xlsx_path: PathLike,
    out_dir: PathLike,
    *,
    soffice: Optional[str] = None,
    timeout: Optional[float] = None,
) -> Path:
    """Recalculate every formula of ``xlsx_path`` with LibreOffice.

    Writes ``out_dir/<same name>.xlsx`` (``out_dir`` must not be the input's
    directory) whose cells hold cached results, readable with
    ``openpyxl.load_workbook(path, data_only=True)``.  Returns that path.
    Raises :class:`LibreOfficeError` (with soffice's output) on failure.
    """
    return _convert(
        xlsx_path,
        out_dir,
        "xlsx:Calc MS Excel 2007 XML",
        "xlsx",
        soffice=soffice,
        timeout=timeout,
    )


def to_pdf(
    xlsx_path: PathLike,
    out_dir: PathLike,
    *,
    soffice: Optional[str] = None,
    timeout: Optional[float] = None,
) -> Path:
    """Render a spreadsheet to ``out_dir/<name>.pdf`` (formulas recalculated first)."""
    return _convert(
        xlsx_path,
        out_dir,
        "pdf:calc_pdf_Export",
        "pdf",
        soffice=soffice,
        timeout=timeout,
    )


def load_recalculated(xlsx_path: PathLike, out_dir: PathLike, **kwargs):
    """Recalculate and return ``openpyxl.load_workbook(result, data_only=True)``."""
    import openpyxl

    return openpyxl.load_workbook(recalculate(xlsx_path, out_dir, **kwargs), data_only=True)


def error_cells(workbook) -> list:
    """``["Sheet!A1", ...]`` for cells whose cached value is a spreadsheet error.

    Pass a workbook loaded with ``data_only=True`` (e.g. from
    :func:`load_recalculated`).
    """
    found = []
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.strip() in EXCEL_ERRORS:
                    found.append(f"{ws.title}!{cell.coordinate}")
    return found
