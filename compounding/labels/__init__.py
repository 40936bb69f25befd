"""Container labels and titration patient documents for a worklist plan, as PDF.

    from compounding.labels import labels_pdf_bytes, charts_pdf_bytes
    pdf, n = labels_pdf_bytes(plan, size="roll_4x2in", barcode="datamatrix", pharmacy="…", contact="…")

Layout (pure) lives in :mod:`.layout`, label stock in ``formulas/reference/labels.toml`` (:mod:`.stock`),
barcodes in :mod:`.barcode`, the PDF writers in :mod:`.pdf` and :mod:`.chart`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["labels_pdf_bytes", "write_labels", "charts_pdf_bytes", "write_charts"]


def _pharmacy(pharmacy: str | None, contact: str | None) -> tuple[str, str]:
    if not (pharmacy and pharmacy.strip()) or not (contact and contact.strip()):
        raise InputError("is needed on every label", field="pharmacy" if not pharmacy else "pharmacy_contact",
                         allowed="the pharmacy's name and its address/phone")
    return " ".join(pharmacy.split()), " ".join(contact.split())


def labels_pdf_bytes(plan: Any, *, size: str | None = None, barcode: str = "datamatrix",
                     pharmacy: str | None = None, contact: str | None = None) -> tuple[bytes, int]:
    """One label per dispensed container (anticipatory stock has no patient label)."""
    from .barcode import KINDS
    from .pdf import labels_pdf
    from .stock import label_data

    if barcode not in KINDS:
        raise InputError("is not a barcode kind", field="barcode", value=barcode, allowed=", ".join(KINDS))
    name, contact = _pharmacy(pharmacy, contact)
    items = [(b, a) for b in plan.batches for a in b.allocations if a.rx_number is not None]
    return labels_pdf(items, stock=label_data().stock(size), barcode=barcode, pharmacy=name, contact=contact)


def _write(path: str | os.PathLike, data: bytes, field: str) -> None:
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot be written ({exc.strerror or exc})", field=field, value=str(path)) from None


def write_labels(plan: Any, path: str | os.PathLike, **options: Any) -> int:
    data, n = labels_pdf_bytes(plan, **options)
    _write(path, data, "labels")
    return n


def charts_pdf_bytes(plan: Any, *, pharmacy: str | None = None, contact: str | None = None,
                     paper: str = "A4") -> tuple[bytes, int]:
    """For each titration: a one-page explanation in plain words and the dated dose chart."""
    from .chart import charts_pdf

    name, contact = _pharmacy(pharmacy, contact)
    return charts_pdf(plan, pharmacy=name, contact=contact, paper=paper)


def write_charts(plan: Any, path: str | os.PathLike, **options: Any) -> int:
    data, n = charts_pdf_bytes(plan, **options)
    _write(path, data, "charts")
    return n
