"""``python -m compounding liquid``: an LDN oral liquid as a readable sheet or JSON."""

from __future__ import annotations

import argparse
import json
import sys

from . import save_order, today_unless

from ._drug_options import add_drug_lot_arguments
from ..sheet import liquid_sheet  # noqa: F401  (kept importable here: the sheet moved to compounding.sheet)


# options whose name is not the glossary field they set (compounding.cli.glossary_help)
GLOSSARY_KEYS = {"volume": "final_volume", "day_one": "day_one_is_compounding_day"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    # each option's meaning comes from the glossary (cli.glossary_help); help= adds examples and defaults
    p.add_argument("--concentration", help="e.g. 1mg/mL (or 5mg/5mL)")
    p.add_argument("--volume", help="e.g. 150mL")
    p.add_argument("--tablets", help="give two of tablets, concentration, volume")
    p.add_argument("--tablet-weight", help="e.g. 321mg (needed when the batch is not whole tablets)")
    p.add_argument("--source", choices=["tablets", "api"], help="default tablets")
    p.add_argument("--vehicle", help="formulas/reference/vehicles.toml: purified_water (default), "
                   "preserved_aqueous, fawcett_1997, mct_oil")
    p.add_argument("--formula", help="e.g. LDN-LIQ-WATER-1 or LDN-LIQ-FAWCETT-1 (sets the vehicle and source)")
    p.add_argument("--doses", help="e.g. 0.5mg,1.5mg,4.5mg (0.1-4.5 mg)")
    add_drug_lot_arguments(p, when=" (source api)")
    p.add_argument("--balance", help="see formulas/reference/balances.toml; default class_iii")
    p.add_argument("--mwq", help="of your balance, e.g. 120mg (overrides --balance)")
    p.add_argument("--date", help="ISO, e.g. 2026-03-02 (default today)")
    p.add_argument("--component-expiry", action="append", default=[], help="ISO; repeatable")
    p.add_argument("--day-one", action="store_true", help="default: BUD = date + days")
    p.add_argument("--json", action="store_true", help="print the result as JSON only")
    p.add_argument("--save-order", metavar="PATH", help="also write the order (inputs with the defaults "
                   "used, as JSON) to this path; python -m compounding compute PATH computes it again")
    p.add_argument("--xlsx", help="also write the Excel batch record")
    from ..excel import add_record_arguments

    add_record_arguments(p, liquid=True)


def run(args: argparse.Namespace) -> int:
    from ..liquids import prepare_liquid

    prep = prepare_liquid(
        concentration=args.concentration, final_volume=args.volume, tablets=args.tablets,
        source=args.source, vehicle=args.vehicle, formula=args.formula, tablet_weight=args.tablet_weight,
        doses=args.doses, compounding_date=today_unless(args.date), api_form=args.api_form, potency=args.potency,
        assay=args.assay, water=args.water, potency_basis=args.potency_basis,
        balance=args.balance, mwq=args.mwq, component_expiries=args.component_expiry,
        day_one_is_compounding_day=args.day_one)
    save_order(args.save_order, prep)
    if args.xlsx:
        from ..excel import record_options, write_workbook

        write_workbook(prep, args.xlsx, **record_options(args))
    if args.json:
        json.dump(prep.as_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(liquid_sheet(prep))
        if args.xlsx:
            sys.stdout.write(f"\nExcel batch record written to {args.xlsx}\n")
    return 0
