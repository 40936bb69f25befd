"""Many prescriptions at once: read a worklist file → validate every row → plan batches → allocate.

    from compounding.worklist import read_worklist, plan_worklist
    wl = read_worklist(path_or_bytes, compounding_date="2026-03-02")
    if wl.problems: ...            # every bad cell: row (header = row 1), column, reason
    plan = plan_worklist(wl)       # batches, allocations, ingredient needs (and stock with lots=)

A worklist is a CSV, an .xlsx, or a JSON list of row objects with the same column names (see
:mod:`.read`). :mod:`.drafts` puts a plan into the batch-record store as draft batches.

The columns and limits are in :mod:`compounding.worklist.columns`. Nothing here edits the core: the
batches are computed by :func:`compounding.capsule_batch`, :func:`compounding.prepare_liquid` and
:func:`compounding.plan_titration`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from .columns import COLUMN_NAMES, COLUMNS, MAX_FILE_BYTES, MAX_ROWS
from .read import Table, read_table
from .validate import Order, Problem, Worklist, validate

__all__ = ["COLUMNS", "COLUMN_NAMES", "MAX_FILE_BYTES", "MAX_ROWS", "Table", "Order", "Problem", "Worklist",
           "read_table", "validate", "read_worklist", "file_bytes"]


def file_bytes(source: str | os.PathLike | bytes, field: str = "file") -> tuple[bytes, str]:
    """(bytes, name) of a path or of bytes; a missing or huge file is refused before it is read."""
    from ..errors import InputError

    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "worklist"
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"is {size / 1048576:.1f} MiB, more than the {MAX_FILE_BYTES // 1048576} MiB a "
                             "worklist may have; split it into smaller files", field=field, value=str(path))
        return path.read_bytes(), path.name
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", field=field, value=str(path)) from None


def read_worklist(source: str | os.PathLike | bytes, *, compounding_date: dt.date | str | None = None,
                  name: str | None = None) -> Worklist:
    """Read and validate a worklist file (a path, or the file's bytes); no compounding date means today
    (read here, at the entry point: the checks below take the date as an input)."""
    compounding_date = dt.date.today() if compounding_date is None else compounding_date
    data, default = file_bytes(source)
    label = name or default
    return validate(read_table(data, label), compounding_date=compounding_date, name=label)


def __getattr__(name: str) -> Any:  # the planner loads the core only when asked for
    if name in ("plan_worklist", "WorklistPlan"):
        from . import plan

        return getattr(plan, name)
    raise AttributeError(name)
