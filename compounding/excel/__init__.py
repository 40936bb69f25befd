"""Excel batch records that QA can recompute (issue 4).

One export for every result of the core::

    from compounding.excel import workbook_bytes, write_workbook
    data = workbook_bytes(batch, pharmacy_name="…", lot_number="…")   # .xlsx bytes
    write_workbook(batch, "batch.xlsx", patient="…")

A capsule batch gives the sheets *Compounding record*, *Calculations*, *Weight check* and *Label*.
On *Calculations* every input sits in a named, unlocked cell and every derived quantity is a live
Excel formula over those names, beside the calculator's own value and a cell that says whether
they agree. Every value on the other sheets is a live formula over those names or fixed text;
each formula is saved with its value (the core's), so viewers that do not recalculate show it.
Each record field is typed in one cell; every other place shows it by formula. Every sheet has a
status cell ("Sheet check: OK", red "CHECK" when anything on it differs from the result stored at
export). Computed cells are locked and the sheets protected (no password); free text is always
stored as text, never as a formula. Document properties and a visible cell carry the engine version
and a SHA-256 of the inputs and results; ``python -m compounding verify FILE.xlsx`` builds the
record again from its inputs and compares every cell.

Record fields (all optional, blank cells to fill by hand when left out): see :data:`RECORD_FIELDS`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from ._fields import ENGINE_VERSION, RECORD_FIELDS, add_record_arguments, record_options

__all__ = ["ENGINE_VERSION", "RECORD_FIELDS", "workbook", "workbook_bytes", "write_workbook", "record_kind",
           "add_record_arguments", "record_options"]


def record_kind(result: Any) -> str:
    """``capsules``, ``liquid`` or ``titration``: which record a result makes."""
    from ..capsules import CapsuleBatch

    if isinstance(result, CapsuleBatch):
        return "capsules"
    name = type(result).__name__
    if name == "LiquidPreparation":
        return "liquid"
    if name == "TitrationPlan":
        return "titration"
    raise TypeError(f"cannot export a {name} to Excel (expected a capsule batch, liquid or titration plan)")


def workbook(result: Any, *, capsule_weights: int | None = None, paper: str = "A4", patient_dose: Any = None,
             allocation: Any = None, bundle: Any = None, **record: Any):
    """The openpyxl ``Workbook`` of ``result``.

    ``capsule_weights``: rows on the capsule weight check, each to be weighed before the sheet gives a
    verdict (up to 50, never fewer than the QC rule requires: every capsule of the batch, or a sample
    of ``sample_size`` from ``qc.toml``, which is also the default).
    ``paper``: ``"A4"`` or ``"Letter"`` (every sheet also fits one page width on the other).
    ``patient_dose``: an oral liquid's label carries this dose ("1.5 mg") and its volume on the
    oral syringe dispensed; left out, the label has a line to write the dose in.
    ``allocation``: rows (header first) of a worklist's *Allocation* sheet, who gets what from
    the batch; verify checks it like every other sheet.
    ``bundle``: the reference data (:mod:`compounding.bundle`) a capsule batch or liquid was computed
    with, when not the shipped data; its figures and master formula go on the record (a result that
    records another bundle's hash is refused).
    ``record``: the pharmacy's fields, see :data:`RECORD_FIELDS`.
    """
    from openpyxl import Workbook

    from ..errors import InputError
    from ._common import check_record_fields
    from ._sheets import Fields

    fields = Fields(check_record_fields(record))
    if capsule_weights is not None and (not isinstance(capsule_weights, int) or isinstance(capsule_weights, bool)
                                        or not 1 <= capsule_weights <= 50):
        raise InputError("is not a number of capsules to weigh", field="capsule_weights", value=capsule_weights,
                         allowed="a whole number from 1 to 50 (usually 10 or 20)")
    if str(paper).lower() not in ("a4", "letter"):
        raise InputError("is not a paper size", field="paper", value=paper, allowed="A4 or Letter")
    kind = record_kind(result)
    if patient_dose is not None and kind != "liquid":
        raise InputError("applies to an oral liquid's label only", field="patient_dose", value=patient_dose,
                         allowed="leave it out for capsules and titration plans")
    from ._kinds import kind_module

    options = ({"capsule_weights": capsule_weights} if kind == "capsules" else
               {"patient_dose": patient_dose} if kind == "liquid" else {})
    if bundle is not None:
        if kind == "titration":
            raise InputError("applies to capsule and liquid records only", field="bundle", value=bundle.hash[:12],
                             allowed="leave it out for a titration plan")
        options["bundle"] = bundle
    if allocation is not None:
        from ._common import check_allocation

        options["allocation"] = check_allocation(allocation)
    wb = Workbook()
    kind_module(kind).build(wb, result, fields, paper=paper, **options)
    return wb


def workbook_bytes(result: Any, **options: Any) -> bytes:
    """The record of ``result`` as ``.xlsx`` bytes (for a download button or an HTTP response)."""
    from ._writer import save

    buffer = io.BytesIO()
    save(workbook(result, **options), buffer)
    return buffer.getvalue()


def write_workbook(result: Any, path: str | os.PathLike, **options: Any) -> Path:
    """Write the record of ``result`` to ``path`` (``.xlsx``); returns the path."""
    from ..errors import InputError

    target = Path(path)
    data = workbook_bytes(result, **options)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot be written ({exc.strerror or exc})", field="xlsx", value=str(target)) from None
    return target
