"""``python -m compounding capsules``: an LDN capsule batch as a readable sheet or JSON."""

from __future__ import annotations

import argparse
import json
import sys

from . import save_order, today_unless

from ._drug_options import add_drug_lot_arguments


# --actual-<key>: the weighing keys of compounding.weighing.WEIGHING_KEYS
ACTUAL_OPTIONS = {
    "drug": "drug powder (API or crushed tablets) weighed; with an aliquot, the stage 1 weighing",
    "diluent": "diluent (filler) added in aliquot stage 1",
    "aliquot": "aliquot taken from the stage 1 mixture",
    "diluent_2": "diluent added in aliquot stage 2",
    "aliquot_2": "aliquot taken from the stage 2 mixture",
    "filler": "filler added to the blend",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    # each option's meaning comes from the glossary (cli.glossary_help); help= adds examples and defaults
    p.add_argument("--strength", required=True, help="e.g. 4.5mg")
    p.add_argument("--quantity", required=True, help="e.g. 90")
    p.add_argument("--extra", help="e.g. 2 or 10%%")
    p.add_argument("--source", choices=["api", "tablets"])
    p.add_argument("--formula", help="default: the one for --source")
    add_drug_lot_arguments(p, when="")
    p.add_argument("--strength-as", dest="strength_basis", choices=["hcl_anhydrous", "base"],
                   help="default hcl_anhydrous")
    p.add_argument("--tablet-weight", help="e.g. 321mg")
    p.add_argument("--capsule-size", help="000, 00, 0, 1, 2, 3, 4 or 5")
    p.add_argument("--filler", help="see formulas/reference/fillers.toml; default mcc_ph102")
    p.add_argument("--fill-weight", help="for the capsule size, e.g. 270mg")
    p.add_argument("--api-fill-weight", help="for the capsule size, e.g. 350mg")
    p.add_argument("--balance", help="see formulas/reference/balances.toml; default class_iii")
    p.add_argument("--mwq", help="of your balance, e.g. 120mg (overrides --balance)")
    p.add_argument("--readability", help="with --mwq: your balance's step, e.g. 10mg or 0.1mg (default: the "
                   "power of ten at or below MWQ ÷ 12)")
    actual = p.add_argument_group(
        "actual weights", "what was actually weighed; the batch is recalculated from them (each weighing not "
        "given is taken as planned)")
    for key, what in ACTUAL_OPTIONS.items():
        actual.add_argument(f"--actual-{key.replace('_', '-')}", dest=f"actual_{key}", metavar="MASS", help=what)
    p.add_argument("--date", help="ISO, e.g. 2026-03-02 (default today)")
    p.add_argument("--component-expiry", action="append", default=[], help="ISO; repeatable")
    p.add_argument("--json", action="store_true", help="print the result as JSON only")
    p.add_argument("--save-order", metavar="PATH", help="also write the order (inputs with the defaults "
                   "used, as JSON) to this path; python -m compounding compute PATH computes it again")
    p.add_argument("--xlsx", help="also write the Excel batch record")
    from ..excel import add_record_arguments

    add_record_arguments(p, capsules=True)


def run(args: argparse.Namespace) -> int:
    from ..capsules import capsule_batch

    batch = capsule_batch(
        args.strength, args.quantity, extra=args.extra, source=args.source, formula=args.formula,
        potency=args.potency, assay=args.assay, water=args.water, potency_basis=args.potency_basis,
        api_form=args.api_form, strength_basis=args.strength_basis,
        tablet_weight=args.tablet_weight, capsule_size=args.capsule_size, filler=args.filler,
        fill_weight=args.fill_weight, api_fill_weight=args.api_fill_weight, balance=args.balance,
        mwq=args.mwq, readability=args.readability, compounding_date=today_unless(args.date),
        component_expiries=args.component_expiry,
        actual_weights={k: getattr(args, f"actual_{k}") for k in ACTUAL_OPTIONS})
    save_order(args.save_order, batch)
    if args.xlsx:
        from ..excel import record_options, write_workbook

        write_workbook(batch, args.xlsx, **record_options(args))
    if args.json:
        json.dump(batch.as_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        from ..sheet import capsule_sheet

        sys.stdout.write(capsule_sheet(batch))
        if args.xlsx:
            sys.stdout.write(f"\nExcel batch record written to {args.xlsx}\n")
    return 0
