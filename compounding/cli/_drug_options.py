"""The API lot's options, the same for ``capsules`` and ``liquid`` (one rule: compounding.drug)."""

from __future__ import annotations

import argparse

FORMS = ["hcl_anhydrous", "hcl_dihydrate", "base"]


def add_drug_lot_arguments(p: argparse.ArgumentParser, *, when: str = "") -> None:
    """``--potency``, ``--assay``, ``--water``, ``--potency-as`` and ``--api-form``; ``when`` says
    which source they belong to (e.g. " (source api)")."""
    # each option's meaning comes from the glossary (cli.glossary_help); help= adds examples and defaults
    p.add_argument("--potency", help=f"from the lot's CoA, e.g. 98.5%%{when}: the content of the anhydrous salt "
                   "in the powder (see --potency-as)")
    p.add_argument("--assay", help="e.g. 99.5%% (with --water, instead of --potency)")
    p.add_argument("--water", help="e.g. 8.7%% (with --assay)")
    p.add_argument("--potency-as", dest="potency_basis", choices=FORMS,
                   help="default: the anhydrous salt; hcl_dihydrate only when the CoA states the content of the "
                   "dihydrate itself")
    p.add_argument("--api-form", choices=FORMS, help="default hcl_anhydrous")
