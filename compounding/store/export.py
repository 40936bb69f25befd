"""Excel from the store: a batch's record, and the recall summary of an ingredient lot.

**Batch record.** The stored order is calculated again by the core (:func:`.calculate.recalculate`
refuses unless that gives the stored result byte for byte) and written by the calculator's own
Excel writer (:func:`compounding.excel.workbook_bytes`), so ``python -m compounding verify`` checks
it like any other record. What the store adds goes in the writer's record fields: the lot number;
the patient (or "anticipatory stock") and the prescriber, both from the allocations (an order holds
neither); prepared / verified / released by, each with its signature's printed name and UTC time;
and in *Notes* the status, the record and reference hashes, every ingredient lot (supplier, lot,
expiry, potency or tablet weight), every actual weight against its target with its verdict, the
capsule weight check, the allocations, every signature with the hash it signed, and whether the
content is still what the last signature signed (the database refuses changes to a submitted or
released batch's rows, migration 0004; a change made behind both, e.g. by someone who can drop
triggers, shows here).

**Same record, same file.** Nothing in an export depends on when it was made: the workbook's
created/modified times and every zip entry's time are set to the batch's last change
(``updated_at``), so exporting the same record twice gives the same bytes (the same SHA-256 of the
file) as well as the same record hash inside it.

**Recall.** Every batch that used an ingredient lot, one row each (lot number, preparation,
strength, status, prepared, released, patients / Rx numbers and quantities, amendments), under the
lot's own details; plain text cells, never formulas.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

from ..display import format_quantity
from .batches import quantity_text
from .calculate import recalculate
from .views import BatchView, LotView

__all__ = ["record_fields", "batch_workbook_bytes", "recall_workbook_bytes", "RECALL_COLUMNS"]

_MEANING_FIELD = {"prepared": "compounded_by", "verified": "verified_by", "released": "released_by"}


def _q(q: Any) -> str:
    return "" if q is None else quantity_text(q)


def _utc(t: dt.datetime) -> str:
    return f"{t.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC"


def lot_line(lot: LotView) -> str:
    """One ingredient lot as a record shows it."""
    if lot.kind == "api":
        what = (f"potency {_q(lot.potency)}"
                + (f" (assay {_q(lot.assay)}, water {_q(lot.water)})" if lot.assay is not None else "")
                + f", {lot.salt_form}" + (f", potency as {lot.potency_basis}" if lot.potency_basis else ""))
    elif lot.kind == "tablets":
        what = f"tablet weight {_q(lot.tablet_weight)}"
    else:
        what = ", ".join(f"fill weight size {k}: {_q(v)}" for k, v in lot.fill_weights.items())
    return (f"{lot.kind} {lot.material}, {lot.supplier} lot {lot.supplier_lot}, expires {lot.expiry.isoformat()}"
            + (f", {what}" if what else ""))


def _allocation_text(batch: BatchView) -> str:
    return "; ".join(_allocation_line(a) for a in batch.allocations)


def _allocation_line(a: Any) -> str:
    who = "anticipatory stock" if a.anticipatory else \
        f"{a.patient}, Rx {a.rx_number}" + (f", prescriber {a.prescriber}" if a.prescriber else "")
    return f"{who} ({a.quantity})" + (" after release" if a.after_release else "")


MAX_LISTED = 50  # capsule weights listed one by one; more are summarised (the record's notes hold 32,767 characters)


def _capsule_line(weights: tuple[Any, ...]) -> str:
    n = len(weights)
    mean = sum((w for w in weights[1:]), weights[0]) / n
    head = f"Capsule weight check, net fill of {n} capsules (mean {format_quantity(mean)})"
    if n <= MAX_LISTED:
        return f"{head}: " + ", ".join(_q(w) for w in weights)
    return f"{head}; lightest {_q(min(weights))}, heaviest {_q(max(weights))} (all {n} are in the store)"


_SIGNED = {True: "Signed content: unchanged since the last signature",
           False: "Signed content: CHANGED after the last signature (check the audit trail)"}


def _notes(batch: BatchView, signed_content: bool | None = None) -> str:
    lines = [f"Status: {batch.status}" + (f" ({batch.status_reason})" if batch.status_reason else ""),
             f"Store record {batch.lot_number}: record hash {batch.record_hash}, engine {batch.engine_version}, "
             f"reference data {batch.reference_hash}"]
    if batch.amends:
        lines.append(f"Amends {batch.amends}")
    lines += ["Ingredient lots:"] + [f"- {lot_line(x)}" for x in batch.ingredient_lots] if batch.ingredient_lots \
        else ["Ingredient lots: none recorded"]
    lines += ["Actual weights:"] + [f"- {w.step}: target {_q(w.target)}, actual {_q(w.actual)} "
                                    f"(tolerance {_q(w.tolerance)}): {w.verdict}" for w in batch.weights] \
        if batch.weights else ["Actual weights: none recorded"]
    if batch.capsule_weights:
        lines.append(_capsule_line(batch.capsule_weights))
    if batch.allocations:
        lines.append(f"Allocated: {_allocation_text(batch)}")
    lines += ["Signatures:"] + [f"- {s}, signed hash {s.signed_hash}" for s in batch.signatures] \
        if batch.signatures else ["Signatures: none"]
    if signed_content is not None:
        lines.append(_SIGNED[signed_content])
    return "\n".join(lines)


def record_fields(batch: BatchView, signed_content: bool | None = None) -> dict[str, str]:
    """The Excel writer's record fields of a stored batch (see the module's description);
    ``signed_content``: whether the content is still what the last signature signed (None: not yet)."""
    fields = {"lot_number": batch.lot_number, "notes": _notes(batch, signed_content)}
    patients = {a.patient for a in batch.allocations if not a.anticipatory}
    if len(patients) == 1:
        fields["patient"] = patients.pop()
    elif patients:
        fields["patient"] = f"{len(patients)} patients: see notes"
    elif batch.allocations:
        fields["patient"] = "anticipatory stock"
    # the prescriber is the prescription's, stored on its allocation (an order holds none)
    prescribers = {a.prescriber for a in batch.allocations if a.prescriber}
    if len(prescribers) == 1:
        fields["prescriber"] = prescribers.pop()
    elif prescribers:
        fields["prescriber"] = f"{len(prescribers)} prescribers: see notes"
    for s in batch.signatures:  # the latest of each meaning (a batch sent back is signed "prepared" again)
        fields[_MEANING_FIELD[s.meaning]] = f"{s.printed_name}, signed {_utc(s.signed_at)}"
    return fields


def batch_workbook_bytes(batch: BatchView, order_json: str, result_json: str, *, pharmacy_name: str | None = None,
                         pharmacy_contact: str | None = None, paper: str = "A4",
                         signed_content: bool | None = None) -> bytes:
    """The ``.xlsx`` record of a stored batch (deterministic bytes)."""
    from ..excel import workbook_bytes

    result = recalculate(batch.kind, order_json, result_json)
    shop = {k: v for k, v in (("pharmacy_name", pharmacy_name), ("pharmacy_contact", pharmacy_contact)) if v}
    fields = record_fields(batch, signed_content)
    return fixed_times(workbook_bytes(result, paper=paper, **shop, **fields), batch.updated_at)


# ---------------------------------------------------------------------- recall

RECALL_COLUMNS = ("Batch lot number", "Preparation", "Strength", "Status", "Prepared by", "Created (UTC)",
                  "Released (UTC)", "Allocated to (patient, Rx, quantity)", "Amends")


def recall_workbook_bytes(lot: LotView, batches: list[BatchView]) -> bytes:
    """Every batch that used ``lot``, as a one-sheet summary (deterministic bytes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Recall"
    rows = [[f"Recall: every batch that used ingredient lot {lot.supplier} {lot.supplier_lot}"],
            [f"Ingredient lot: {lot_line(lot)}; status {lot.status}"],
            [f"{len(batches)} batch(es)"], [], list(RECALL_COLUMNS)]
    for b in batches:
        released = next((_utc(s.signed_at) for s in reversed(b.signatures) if s.meaning == "released"), "")
        rows.append([b.lot_number, b.kind, b.strength, b.status, b.preparer, _utc(b.created_at), released,
                     _allocation_text(b), b.amends or ""])
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.data_type = "s"  # text, never a formula (a supplier may type "=…")
    ws["A1"].font = Font(bold=True, size=13)
    for cell in ws[5]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDEFGHI", (22, 12, 10, 17, 12, 22, 22, 50, 22)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A6"
    when = max([b.updated_at for b in batches], default=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    buffer = io.BytesIO()
    wb.save(buffer)
    return fixed_times(buffer.getvalue(), when)


# ---------------------------------------------------------------------- deterministic bytes

_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def fixed_times(data: bytes, when: dt.datetime) -> bytes:
    """The same ``.xlsx`` with every time in it (document properties, zip entries) set to ``when``."""
    utc = when.astimezone(dt.timezone.utc).replace(microsecond=0)
    stamp = utc.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_TIME.sub(lambda m: m.group(1) + stamp + m.group(3), content)
            entry = zipfile.ZipInfo(info.filename, date_time=utc.timetuple()[:6])
            entry.compress_type, entry.external_attr = info.compress_type, info.external_attr
            dst.writestr(entry, content)
    return out.getvalue()
