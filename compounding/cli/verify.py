"""``python -m compounding verify FILE.xlsx``: recompute an exported record with the core, build
it again and compare every cell of every sheet.

Exit status 0 when everything agrees, 1 when anything differs (each named by its cell), 2 when the
file cannot be read as a record of this calculator.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="an .xlsx record exported by this calculator")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    from ..jsonout import to_jsonable
    from ..verify import verify_workbook

    report = verify_workbook(args.file)
    if args.json:
        out = {"file": report.path, "kind": report.kind, "ok": report.ok, "engine_version": report.engine_version,
               "sha256": report.digest, "sha256_in_file": report.digest_in_file, "checked": report.checked,
               "findings": [{"cell": f.cell, "name": f.name, "label": f.label, "what": f.what,
                             "in_file": to_jsonable(f.in_file), "expected": to_jsonable(f.expected)}
                            for f in report.findings],
               "edited_inputs": [{"cell": e.cell, "name": e.name, "label": e.label,
                                  "exported": to_jsonable(e.exported), "now": to_jsonable(e.in_file)}
                                 for e in report.edited_inputs],
               "notes": list(report.notes)}
        json.dump(out, sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(str(report))
    return 0 if report.ok else 1
