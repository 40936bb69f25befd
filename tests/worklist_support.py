"""Helpers for the worklist tests: build worklist files (CSV text or XLSX bytes) in memory."""

from __future__ import annotations

import io

HEADER = ("rx_number", "patient", "prescriber", "form", "strength", "quantity", "dose", "directions",
          "titration", "due_date")


def row(rx: str, form: str = "capsules", strength: str = "4.5 mg", quantity: str = "30", dose: str = "",
        directions: str = "Take one capsule at bedtime", titration: str = "", due: str = "",
        patient: str = "Ann Lee", prescriber: str = "Dr X") -> dict[str, str]:
    return {"rx_number": rx, "patient": patient, "prescriber": prescriber, "form": form, "strength": strength,
            "quantity": quantity, "dose": dose, "directions": directions, "titration": titration, "due_date": due}


def csv_bytes(rows: list[dict[str, str]], header: tuple[str, ...] = HEADER, encoding: str = "utf-8") -> bytes:
    import csv

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(h, "") for h in header])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict[str, str]], header: tuple[str, ...] = HEADER, merge: str | None = None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append([r.get(h, "") or None for h in header])
    if merge:
        ws.merge_cells(merge)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
