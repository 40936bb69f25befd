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


def day_rows() -> list[dict[str, str]]:
    """A day's worklist of 40 rows: 26 capsule orders (four strengths), 9 oral liquids, a capsule and a
    liquid titration, and three bad rows (rows 39-41: ``4,5 mg``, form ``tablets``, 30 February)."""
    strengths = ("0.5 mg", "1.5 mg", "3 mg", "4.5 mg")
    rows = [row(f"RX-{2001 + i}", strength=strengths[i % 4], quantity=str(30 + (i % 3) * 30),
                patient=f"Patient {chr(65 + i)}") for i in range(26)]
    rows += [row(f"RX-{2101 + i}", "oral liquid", "1 mg/mL", "100 mL", dose="4.5 mg", patient=f"Liquid {chr(65 + i)}",
                 directions="Take 4.5 mL by mouth at bedtime") for i in range(9)]
    rows += [row("RX-2201", strength="", quantity="", titration="ldnrt_slow", patient="Tia Slow",
                 directions="Follow the dose chart: one capsule at bedtime"),
             row("RX-2202", "oral liquid", "1 mg/mL", "", titration="0.5mg:7,1mg:7,1.5mg:14", patient="Leo Step",
                 directions="Follow the dose chart; measure with the oral syringe")]
    rows += [row("RX-2301", strength="4,5 mg"), row("RX-2302", form="tablets"), row("RX-2303", due="2026-02-30")]
    return rows
