"""Benchmark: build one Excel batch record vs. openpyxl writing a bare workbook of as many cells.

    .venv/bin/python benchmarks/bench_excel.py [--repeat 20]

The floor is openpyxl itself: the same number of sheets and non-empty cells (half numbers, half
short strings), no styles, names, formulas or conditional formats, saved to memory. The record's
time includes the core's calculation of the batch. Aim: within 2× of the floor.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openpyxl  # noqa: E402

from compounding.capsules import capsule_batch  # noqa: E402
from compounding.excel import workbook, workbook_bytes  # noqa: E402


def _batch(aliquot: bool = False):
    if aliquot:
        return capsule_batch("0.1 mg", 100, source="api", fill_weight="250 mg", compounding_date="2026-11-22")
    return capsule_batch("4.5 mg", 90, extra="10%", source="api", capsule_size="1", fill_weight="270 mg",
                         api_fill_weight="350 mg", potency="98.5%", compounding_date="2026-11-22")


def _shape(wb, styled: bool = True) -> list[int]:
    """Cells per sheet that the file will hold: with a value, or (``styled``) only a style (the
    borders and fills of boxes to write in are cells too)."""
    return [sum(1 for row in ws.iter_rows() for c in row if c.value is not None or (styled and c.has_style))
            for ws in wb.worksheets]


def bare(shape: list[int]) -> bytes:
    wb = openpyxl.Workbook()
    for k, cells in enumerate(shape):
        ws = wb.active if k == 0 else wb.create_sheet()
        for i in range(cells):
            ws.cell(row=i // 6 + 1, column=i % 6 + 1, value=i * 1.5 if i % 2 else f"text {i}")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _time(fns: dict, repeat: int) -> dict:
    """Least time of ``repeat`` runs of each function, interleaved so that a busy machine slows all
    of them alike; process (CPU) time, which another process's load disturbs least."""
    for fn in fns.values():
        fn()  # warm up (imports, caches)
    best = {name: float("inf") for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - t)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args(argv)
    for label, aliquot in (("capsule batch", False), ("capsule batch with aliquot", True)):
        wb = workbook(_batch(aliquot))
        shape, values_only = _shape(wb), _shape(wb, styled=False)
        export_only_batch = _batch(aliquot)
        t = _time({"record": lambda: workbook_bytes(_batch(aliquot)),
                   "export": lambda: workbook_bytes(export_only_batch),
                   "floor": lambda: bare(shape), "floor_values": lambda: bare(values_only)}, args.repeat)
        record, export, floor, floor_values = t["record"], t["export"], t["floor"], t["floor_values"]
        print(f"{label}: {sum(shape)} cells ({sum(values_only)} with a value) on {len(shape)} sheets")
        print(f"  record (calculate + export)          {record * 1000:6.1f} ms  {record / floor:4.2f}x floor")
        print(f"  record (export only)                 {export * 1000:6.1f} ms  {export / floor:4.2f}x floor")
        print(f"  floor: bare openpyxl, {sum(shape):4d} cells    {floor * 1000:6.1f} ms")
        print(f"  bare openpyxl, {sum(values_only):4d} cells (values only) {floor_values * 1000:6.1f} ms  "
              f"(export is {export / floor_values:4.2f}x this)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
