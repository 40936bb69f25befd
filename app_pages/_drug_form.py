"""The API lot's inputs (powder form, as-is potency or assay and water, and what the potency is the
content of), the same on the Capsules, Oral liquid and Independent check pages, as the CLI declares
them once for both (``compounding/cli/_drug_options.py``); one rule behind them: ``compounding.drug``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages import _widgets as w

# short: on a tablet the chooser is a third of the width
BASES = {"anhydrous": "the anhydrous salt (usual)", "as_weighed": "the form weighed itself"}


def _form_name(ref, key: str) -> str:
    return ref.forms[key].name.replace("naltrexone hydrochloride", "naltrexone HCl")


def fields(p: str, default_form: str) -> None:
    """Each field followed by its error, if any. Potency, assay and water are text boxes read by the
    core's parser, like every quantity."""
    ref = w.reference()
    forms = list(ref.forms)
    c1, c2 = st.columns([3, 2])
    with c1:
        st.selectbox(w.field_label("api_form"), forms, key=f"{p}.api_form", format_func=lambda k: _form_name(ref, k),
                     help=w.describe("api_form"),
                     index=forms.index(default_form) if default_form in forms else 0)
        w.field_error(p, "api_form", "strength_basis")
    with c2:
        st.selectbox(w.field_label("potency_basis"), list(BASES), key=f"{p}.potency_basis", format_func=BASES.get,
                     help="What the CoA's as-is potency is the content of: usually the anhydrous salt; the form "
                          "weighed itself (e.g. the dihydrate) only when the CoA says so. A dihydrate's water is "
                          "then counted once; with an assay, always the anhydrous salt.")
        w.field_error(p, "potency_basis")
    c1, c2, c3 = st.columns(3)
    with c1:
        w.quantity_input(None, f"{p}.potency", ("%",),
                         help="Leave blank (and assay blank) for no potency correction; the record says so.")
    with c2:
        w.quantity_input(None, f"{p}.assay", ("%",), note="instead of the potency")
    with c3:
        w.quantity_input(None, f"{p}.water", ("%",), note="with the assay")


def arguments(p: str, default_form: str) -> dict[str, Any]:
    """``api_form``, ``potency``, ``assay``, ``water`` and ``potency_basis`` as typed (for the core)."""
    s = st.session_state
    form = s.get(f"{p}.api_form") or default_form
    return dict(api_form=form, potency=w.percent_text(s.get(f"{p}.potency")),
                assay=w.percent_text(s.get(f"{p}.assay")), water=w.percent_text(s.get(f"{p}.water")),
                potency_basis=form if s.get(f"{p}.potency_basis") == "as_weighed" else None)
