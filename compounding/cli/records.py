"""``python -m compounding records list|show|export|recall|audit``: the batch records in the store.

``list`` searches (all filters optional, combined), ``show`` prints one batch with its ingredient
lots, weights, allocations, signatures and history, ``export`` writes a batch's Excel record (the
same record gives the same file; ``verify`` checks it), ``lots`` lists ingredient lots with their
ids, ``recall`` writes the Excel summary of every batch that used an ingredient lot, ``audit`` walks the audit trail's hash chain (exit status 1 when a
link is broken). ``--json`` on each gives the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    find = sub.add_parser("list", help="search batches, newest first")
    find.add_argument("--lot", dest="lot_number", help="lot number, e.g. LDN-260105-001")
    find.add_argument("--patient")
    find.add_argument("--strength", help="e.g. 4.5 mg or 1 mg/mL")
    find.add_argument("--status")
    find.add_argument("--from", dest="date_from", help="created on or after (YYYY-MM-DD)")
    find.add_argument("--to", dest="date_to", help="created on or before (YYYY-MM-DD)")
    find.add_argument("--ingredient-lot", help="a supplier lot number used in the batch (recall)")
    find.add_argument("--page", default="1")
    find.add_argument("--page-size", default="50")
    show = sub.add_parser("show", help="one batch with its history")
    show.add_argument("lot_number")
    export = sub.add_parser("export", help="a batch's Excel record from the store")
    export.add_argument("lot_number")
    export.add_argument("out", metavar="OUT.xlsx")
    export.add_argument("--pharmacy", dest="pharmacy_name", help="pharmacy name on the record")
    export.add_argument("--pharmacy-contact", help="pharmacy address and phone")
    export.add_argument("--paper", default="A4", choices=["A4", "Letter"])
    lots = sub.add_parser("lots", help="ingredient lots with their ids (for recall)")
    lots.add_argument("--kind", choices=["api", "tablets", "filler", "vehicle"])
    lots.add_argument("--status", choices=["quarantined", "released", "rejected"])
    recall = sub.add_parser("recall", help="every batch that used an ingredient lot, to Excel")
    recall.add_argument("ingredient_lot", metavar="INGREDIENT_LOT_ID",
                        help="the ingredient lot's id (see records lots)")
    recall.add_argument("out", metavar="OUT.xlsx")
    sub.add_parser("audit", help="check the audit trail's hash chain")
    for p in sub.choices.values():
        p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from ..store import Store

    store = Store.open()
    try:
        return {"list": _list, "show": _show, "export": _export, "lots": _lots, "recall": _recall,
                "audit": _audit}[args.action](store, args)
    finally:
        store.close()


def _print_json(value) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    print()


def _list(store, args) -> int:
    filters = {k: getattr(args, k) for k in ("lot_number", "patient", "strength", "status", "date_from", "date_to",
                                             "ingredient_lot", "page", "page_size")}
    page = store.search_batches(**filters)
    if args.json:
        _print_json({**page.as_dict(), "pages": page.pages})
        return 0
    for b in page.items:
        print(f"{b.lot_number:<20} {b.kind:<12} {b.strength:<10} {b.status:<17} {b.preparer:<12} "
              f"{b.created_at:%Y-%m-%d %H:%M} UTC")
    print(f"page {page.page} of {page.pages} ({page.total} batches)")
    return 0


def _show(store, args) -> int:
    batch, history = store.batch(args.lot_number), store.history(args.lot_number)
    if args.json:
        _print_json({"batch": batch.as_dict(), "history": [e.as_dict() for e in history]})
        return 0
    print(f"{batch.lot_number}  {batch.kind} {batch.strength}  status: {batch.status}"
          + (f" ({batch.status_reason})" if batch.status_reason else ""))
    print(f"record hash {batch.record_hash}  engine {batch.engine_version}  reference {batch.reference_hash[:12]}…")
    print(f"prepared by {batch.preparer}" + (f", verified by {batch.verifier}" if batch.verifier else "")
          + (f"; amends {batch.amends}" if batch.amends else ""))
    for lot in batch.ingredient_lots:
        print(f"  lot   {lot.kind:<8} {lot.supplier} {lot.supplier_lot}, expires {lot.expiry}")
    for w in batch.weights:
        print(f"  weigh {w.step}: target {w.target:~}, actual {w.actual:~} (±{w.tolerance:~}): {w.verdict}")
    for a in batch.allocations:
        print(f"  alloc {a.quantity} " + ("anticipatory stock" if a.anticipatory else f"{a.patient}, Rx {a.rx_number}")
              + (f", prescriber {a.prescriber}" if a.prescriber else ""))
    for s in batch.signatures:
        print(f"  sign  {s}  [{s.signed_hash[:12]}…]")
    for e in history:
        print(f"  {e.seq:>6} {e.at:%Y-%m-%d %H:%M:%S} {e.actor:<12} {e.action}"
              + (f": {e.reason}" if e.reason else ""))
    return 0


def _write(data: bytes, out: str) -> str:
    import hashlib
    from pathlib import Path

    from ..errors import InputError

    try:
        Path(out).write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot be written ({exc.strerror or exc})", field="out", value=out) from None
    return hashlib.sha256(data).hexdigest()


def _export(store, args) -> int:
    data = store.export_batch(args.lot_number, pharmacy_name=args.pharmacy_name,
                              pharmacy_contact=args.pharmacy_contact, paper=args.paper)
    digest = _write(data, args.out)
    if args.json:
        _print_json({"lot_number": args.lot_number.upper(), "file": args.out, "sha256": digest})
    else:
        print(f"{args.out}: record of {args.lot_number.upper()} (file SHA-256 {digest})")
    return 0


def _lots(store, args) -> int:
    lots = store.ingredient_lots(kind=args.kind, status=args.status)
    if args.json:
        _print_json([lot.as_dict() for lot in lots])
        return 0
    for lot in lots:
        print(f"{lot.id:>6}  {lot.kind:<8} {lot.status:<11} {lot.supplier} {lot.supplier_lot}, expires {lot.expiry}"
              f"  ({lot.material})")
    return 0


def _recall(store, args) -> int:
    from ..store import validate

    lot_id = validate.whole_number(args.ingredient_lot, "ingredient_lot", maximum=2**31 - 1)
    batches = store.batches_using_lot(lot_id)
    digest = _write(store.export_recall(lot_id), args.out)
    if args.json:
        _print_json({"ingredient_lot": lot_id, "file": args.out, "sha256": digest,
                     "batches": [{"lot_number": b.lot_number, "status": b.status} for b in batches]})
    else:
        for b in batches:
            print(f"{b.lot_number:<20} {b.kind:<12} {b.strength:<10} {b.status}")
        print(f"{args.out}: {len(batches)} batch(es) used ingredient lot {lot_id}")
    return 0


def _audit(store, args) -> int:
    report = store.audit_check()
    if args.json:
        _print_json(report.as_dict())
    else:
        print(report)
    return 0 if report.ok else 1
