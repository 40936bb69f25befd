"""Verify an exported Excel record against the core: see :mod:`compounding.excel.verify`.

``verify_workbook(path)`` returns a :class:`VerifyReport`; ``python -m compounding verify FILE``
prints it (exit 0 when everything agrees, 1 when something differs, 2 when the file cannot be read).
"""

from __future__ import annotations

from .excel.verify import EditedInput, Finding, UnreadableWorkbook, VerifyReport, inspect, verify_workbook

__all__ = ["EditedInput", "Finding", "VerifyReport", "UnreadableWorkbook", "verify_workbook", "inspect"]
