"""What a pharmacy writes on a record, and the command-line options for it (no openpyxl here, so
``python -m compounding … --help`` stays fast)."""

from __future__ import annotations

import argparse
from typing import Any

from ..glossary import term


def _engine_version() -> str:
    import compounding  # the core's version; this package's own until the core has one

    return str(getattr(compounding, "__version__", "0.1.0"))


ENGINE_VERSION = _engine_version()

#: What a pharmacy fills in on the record, with the label the record prints. Each is an optional
#: keyword of :func:`compounding.excel.workbook_bytes`; left out, the cell stays blank to write in.
#: The labels are the glossary's (compounding.glossary), the one table of names.
RECORD_FIELDS: dict[str, str] = {key: term(key).label for key in (
    "pharmacy_name", "pharmacy_contact", "lot_number", "patient", "prescriber", "directions", "compounded_by",
    "verified_by", "released_by", "notes")}

#: Fields that may run over several lines (every other field is one line).
MULTILINE = frozenset({"pharmacy_contact", "directions", "notes"})

#: Longest text each field may hold, in characters: a cell holds at most 32,767 (Excel's limit);
#: the lot number is printed in every page header, directions and address on the label, the rest
#: on one line of a form. Longer text is refused, never cut.
FIELD_LIMITS: dict[str, int] = {"notes": 32767, "directions": 1000, "pharmacy_contact": 1000, "lot_number": 60}
FIELD_LIMIT = 200  # every other field

_OPTION = {"pharmacy_name": "--pharmacy", "lot_number": "--lot"}


def add_record_arguments(p: argparse.ArgumentParser, *, capsules: bool = False, liquid: bool = False) -> None:
    """``--pharmacy``, ``--lot``, ``--patient`` … for the Excel record (used with ``--xlsx``)."""
    g = p.add_argument_group("Excel record (with --xlsx; each left out stays a blank to fill by hand)")
    for key in RECORD_FIELDS:
        # the help is the glossary's (compounding.cli.glossary_help reads the dest record_<field>)
        g.add_argument(_OPTION.get(key, "--" + key.replace("_", "-")), dest=f"record_{key}", metavar="TEXT")
    if capsules:
        g.add_argument("--capsule-weights", type=int, metavar="N",
                       help="default and minimum: the QC sample of 10, or every capsule of a smaller batch; up to 50")
    if liquid:
        g.add_argument("--patient-dose", metavar="DOSE",
                       help="e.g. '1.5 mg' (left out: a line on the label to write it in)")
    g.add_argument("--paper", default="A4", choices=["A4", "Letter"], help="default A4")


def record_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`compounding.excel.write_workbook` from parsed options."""
    out: dict[str, Any] = {key: getattr(args, f"record_{key}") for key in RECORD_FIELDS
                           if getattr(args, f"record_{key}", None) is not None}
    for option in ("capsule_weights", "patient_dose"):
        if getattr(args, option, None) is not None:
            out[option] = getattr(args, option)
    if getattr(args, "paper", None):
        out["paper"] = args.paper
    return out
