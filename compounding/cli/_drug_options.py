"""The API lot's options, the same for ``capsules`` and ``liquid`` (one rule: compounding.drug)."""

from __future__ import annotations

import argparse

FORMS = ["hcl_anhydrous", "hcl_dihydrate", "base"]


def add_drug_lot_arguments(p: argparse.ArgumentParser, *, when: str = "") -> None:
    """``--potency``, ``--assay``, ``--water``, ``--potency-as`` and ``--api-form``; ``when`` says
    which source they belong to (e.g. " (source api)")."""
    p.add_argument("--potency", help=f"as-is potency of the API lot from its CoA, e.g. 98.5%%{when}: the "
                   "content of the anhydrous salt in the powder (see --potency-as)")
    p.add_argument("--assay", help="assay of the API lot, anhydrous basis, e.g. 99.5%% (with --water, "
                   "instead of --potency)")
    p.add_argument("--water", help="water content of the API lot from its CoA, e.g. 8.7%% (with --assay)")
    p.add_argument("--potency-as", dest="potency_basis", choices=FORMS,
                   help="the form --potency is the content of (default: the anhydrous salt; hcl_dihydrate "
                   "only when the CoA states the content of the dihydrate itself)")
    p.add_argument("--api-form", choices=FORMS, help="salt form of the API powder weighed (default hcl_anhydrous)")
