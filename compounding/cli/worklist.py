"""``python -m compounding worklist``: a day's prescriptions as batches, records and labels.

    python -m compounding worklist template FILE.csv|FILE.xlsx|FILE.json
    python -m compounding worklist plan FILE [--json] [--xlsx OUT.xlsx] [--records DIR]
                                             [--drop-bad-rows] [--labels OUT.pdf] [--charts OUT.pdf] …

A file with bad rows exits 2 with one stderr line per bad cell: ``row N, column C: reason``.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import today_unless


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="{template,plan}")
    t = sub.add_parser("template", help="write the worklist template (CSV, XLSX or JSON by the file's extension)")
    t.add_argument("file", help="where to write it: a .csv or .xlsx path")
    q = sub.add_parser("plan", help="validate a worklist and plan its batches")
    q.add_argument("file", help="the worklist: a CSV (UTF-8 or Windows-1252), .xlsx, or JSON list of orders")
    q.add_argument("--date", help="compounding date, ISO (default today)")
    q.add_argument("--json", action="store_true", help="print the plan as JSON only")
    q.add_argument("--xlsx", help="write the plan workbook (summary, batches, allocation, needs, stock)")
    q.add_argument("--records", metavar="DIR", help="write one batch record workbook per batch into DIR")
    q.add_argument("--drop-bad-rows", action="store_true", help="plan the good rows; list the bad ones in the plan")
    q.add_argument("--extra", help="extra capsules per batch: a count (2) or a percentage (10%%), rounded up")
    q.add_argument("--liquid-overage", help="extra volume per liquid batch, a percentage (e.g. 5%%)")
    q.add_argument("--anticipatory", action="append", default=[], metavar="FORM:STRENGTH:QUANTITY",
                   help="stock made ahead of prescriptions, e.g. 'capsules:4.5 mg:60'; repeatable")
    q.add_argument("--tablet-weight", help="measured average weight of one 50 mg tablet (batches from tablets)")
    q.add_argument("--potency", help="as-is potency of the API lot, e.g. 98.5%% (batches from API powder)")
    q.add_argument("--lots", help="stock on hand: a CSV/XLSX with columns kind, lot, expiry, quantity (FEFO)")
    q.add_argument("--lot-prefix", default="LDN", help="prefix of the batch lot numbers (default LDN)")
    q.add_argument("--labels", metavar="OUT.pdf", help="write one container label per allocation")
    q.add_argument("--label-size", help="label stock key (formulas/reference/labels.toml); default the roll label")
    q.add_argument("--barcode", choices=["datamatrix", "qr"], default="datamatrix",
                   help="2-D barcode on the labels: GS1 DataMatrix (default) or QR")
    q.add_argument("--charts", metavar="OUT.pdf", help="write the titration patients' dose charts and explanations")
    q.add_argument("--pharmacy", help="pharmacy name (labels, records)")
    q.add_argument("--pharmacy-contact", help="pharmacy address and phone (labels, records)")


def run(args: argparse.Namespace) -> int:
    if args.action == "template":
        from ..worklist.export import write_template

        path = write_template(args.file)
        sys.stdout.write(f"Worklist template written to {path}\n")
        return 0
    return _plan(args)


def _bad(lines: list[str]) -> int:
    for line in lines:
        sys.stderr.write(" ".join(line.split()) + "\n")
    return 2


def _plan(args: argparse.Namespace) -> int:
    from ..worklist import read_worklist
    from ..worklist.plan import plan_worklist
    from ..worklist.stock import LotsError

    wl = read_worklist(args.file, compounding_date=today_unless(args.date))
    if wl.problems and not args.drop_bad_rows:
        return _bad([str(p) for p in wl.problems])
    if (args.labels or args.charts) and not (args.pharmacy and args.pharmacy_contact):
        return _bad(["error: --labels and --charts need --pharmacy and --pharmacy-contact (they go on every label)"])
    try:
        plan = plan_worklist(wl, drop_bad_rows=args.drop_bad_rows, extra=args.extra,
                             liquid_overage=args.liquid_overage, anticipatory=args.anticipatory,
                             tablet_weight=args.tablet_weight, potency=args.potency, lot_prefix=args.lot_prefix,
                             lots=args.lots)
    except LotsError as exc:
        return _bad([f"lots {p}" for p in exc.problems])
    written = _write_outputs(plan, args)
    if args.json:
        json.dump(plan.as_dict(), sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(plan_text(plan) + "".join(f"\n{w}" for w in written) + ("\n" if written else ""))
    if plan.dropped:
        sys.stderr.write(f"{len(plan.dropped)} bad cell(s) on {len({p.row for p in plan.dropped})} row(s) dropped "
                         "(listed in the plan)\n")
    return 0


def _write_outputs(plan, args) -> list[str]:
    from pathlib import Path

    from ..worklist.export import summary_workbook_bytes, write_records, _write

    record = {"pharmacy_name": args.pharmacy, "pharmacy_contact": args.pharmacy_contact}
    written = []
    if args.xlsx:
        _write(Path(args.xlsx), summary_workbook_bytes(plan))
        written.append(f"Plan workbook written to {args.xlsx}")
    if args.records:
        files = write_records(plan, args.records, **record)
        written.append(f"{len(files)} batch record(s) written to {args.records}")
    if args.labels:
        from ..labels import write_labels

        n = write_labels(plan, args.labels, size=args.label_size, barcode=args.barcode,
                         pharmacy=args.pharmacy, contact=args.pharmacy_contact)
        written.append(f"{n} label(s) written to {args.labels}")
    if args.charts:
        from ..labels import write_charts

        n = write_charts(plan, args.charts, pharmacy=args.pharmacy, contact=args.pharmacy_contact)
        written.append(f"{n} titration chart(s) written to {args.charts}")
    return written


def plan_text(plan) -> str:
    from ..display import format_quantity as fq

    out = [f"LDN worklist plan: {plan.source}, compounding date {plan.compounding_date.isoformat()}, "
           f"{plan.prescriptions} prescription(s), {len(plan.batches)} batch(es)", ""]
    for b in plan.batches:
        out.append(f"Batch {b.number}  {b.lot}  {b.title}  made {b.compounding_date.isoformat()}, "
                   f"BUD {b.bud.isoformat()}: make {fq(b.made)}")
        for a in b.allocations:
            who = f"{a.rx_number} ({a.patient})" if a.rx_number else "anticipatory stock"
            extra = f", fill {a.fill}" if a.fill else ""
            out.append(f"    {who}: {fq(a.quantity)}{extra}")
    out += ["", "Ingredient needs:"] + [f"    {n.name} [{n.kind}]: {fq(n.quantity)}" + (f" ({n.note})" if n.note else "")
                                        for n in plan.needs]
    if plan.stock is not None:
        out += ["", "Short (not covered by the lots on hand):"]
        out += [f"    batch {s.batch_lot}: {s.name} [{s.kind}] {fq(s.quantity)}" for s in plan.stock.short] or ["    none"]
    if plan.dropped:
        out += ["", "Dropped rows (not planned):"] + [f"    {p}" for p in plan.dropped]
    if plan.notes:
        out += ["", "Notes:"] + [f"    {n}" for n in plan.notes]
    return "\n".join(out) + "\n"
