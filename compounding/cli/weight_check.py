"""``python -m compounding weight-check``: capsule weights against the target fill weight.

Weights come from a file (the balance's CSV or text export) or standard input (``-``), read by
:func:`compounding.qc.read_weights_file`. Exit status 0 when the verdict is PASS, 1 when it is FAIL
or INCOMPLETE (the QC rule's number of capsules is not weighed yet), 2 for input the core refuses.
"""

from __future__ import annotations

import argparse
import json
import sys


# options whose name is not the glossary field they set (compounding.cli.glossary_help); --target is the
# target fill weight here, not the glossary's target (a titration's target dose): its help is its own
GLOSSARY_KEYS = {"weights": "weights_file", "unit": "weights_unit", "low": "individual_low",
                 "high": "individual_high", "rsd_max": "rsd_maximum", "target": None}


def add_arguments(p: argparse.ArgumentParser) -> None:
    # each option's meaning comes from the glossary (cli.glossary_help); help= adds examples and defaults
    p.add_argument("weights", help="a CSV or text file from the balance, or - for stdin")
    p.add_argument("--target", required=True, help="target fill weight per capsule, e.g. 271.03mg")
    p.add_argument("--unit", default="mg", choices=["mg", "g"], help="of bare numbers (default mg)")
    p.add_argument("--shell", help="when the weights are gross (filled capsule), e.g. 48mg")
    p.add_argument("--batch-size", help="a smaller batch than the QC sample (10) is complete when every capsule "
                                        "is weighed")
    p.add_argument("--low", help="default from qc.toml, 90%%")
    p.add_argument("--high", help="default 110%%")
    p.add_argument("--mean-tolerance", help="default 3%%")
    p.add_argument("--rsd-max", help="default 5%%")
    p.add_argument("--balance", help="the one the capsules are weighed on (see formulas/reference/balances.toml); "
                                     "default class_iii")
    p.add_argument("--mwq", help="of your balance, e.g. 82mg (overrides --balance)")
    p.add_argument("--json", action="store_true", help="print the result as JSON only")


def _read(path: str) -> bytes:
    from ..errors import InputError

    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", field="weights_file", value=path,
                         allowed="a CSV or text file of weights, or - for standard input") from None


def run(args: argparse.Namespace) -> int:
    from ..qc import read_weights_file, weight_check

    weights = read_weights_file(_read(args.weights), args.unit)
    r = weight_check(weights, args.target, shell=args.shell, individual_low=args.low, individual_high=args.high,
                     mean_tolerance=args.mean_tolerance, rsd_maximum=args.rsd_max, batch_size=args.batch_size,
                     balance=args.balance, mwq=args.mwq)
    if args.json:
        json.dump(r.as_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        from ..sheet import weight_check_sheet

        sys.stdout.write(weight_check_sheet(r))
    return 0 if r.passed else 1

