"""``python -m compounding titration``: an LDN titration plan, dispensing and patient chart."""

from __future__ import annotations

import argparse
import json
import sys

from . import save_order, today_unless
from ..sheet import titration_sheet  # noqa: F401  (importable here too; every text sheet is built in compounding.sheet)


def add_arguments(p: argparse.ArgumentParser) -> None:
    # each option's meaning comes from the glossary (cli.glossary_help); help= adds examples and defaults
    p.add_argument("--preset", help="formulas/reference/regimens.toml, e.g. seed_neuropathic, ldnrt_slow, "
                   "ldnrt_weekly, ldnrt_autoimmune; the options below override it")
    p.add_argument("--start", help="e.g. 1.5mg")
    p.add_argument("--step", help="e.g. 1.5mg")
    p.add_argument("--every", help="e.g. 14 (or '2 weeks')")
    p.add_argument("--target", help="e.g. 4.5mg (at most 4.5 mg, the LDN range)")
    p.add_argument("--maintain", help="default: one interval")
    p.add_argument("--stages", help="instead of a regimen, e.g. 1.5mg:14,3mg:14,4.5mg:28")
    p.add_argument("--form", choices=["capsules", "liquid"], default="capsules", help="default capsules")
    p.add_argument("--concentration", help="e.g. 1mg/mL (default 1 mg/mL)")
    p.add_argument("--vehicle", default="purified_water", help="default purified_water")
    p.add_argument("--overage", help="e.g. 5%% (default none)")
    p.add_argument("--start-date", help="ISO (default today)")
    p.add_argument("--json", action="store_true", help="print the result as JSON only")
    p.add_argument("--save-order", metavar="PATH", help="also write the order (inputs with the defaults "
                   "used, as JSON) to this path; python -m compounding compute PATH computes it again")
    p.add_argument("--xlsx", help="also write the Excel plan (schedule, dispensing, patient chart)")
    from ..excel import add_record_arguments

    add_record_arguments(p)


def run(args: argparse.Namespace) -> int:
    from ..titration import plan_titration

    plan = plan_titration(start=args.start, step=args.step, every=args.every, target=args.target,
                          maintain=args.maintain, stages=args.stages, preset=args.preset, form=args.form,
                          concentration=args.concentration, vehicle=args.vehicle,
                          start_date=today_unless(args.start_date), overage=args.overage)
    save_order(args.save_order, plan)
    if args.xlsx:
        from ..excel import record_options, write_workbook

        write_workbook(plan, args.xlsx, **record_options(args))
    if args.json:
        json.dump(plan.as_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(titration_sheet(plan))
        if args.xlsx:
            sys.stdout.write(f"\nExcel plan written to {args.xlsx}\n")
    return 0

