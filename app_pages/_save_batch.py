"""“Save as batch” under a capsule or liquid result: a draft batch record in the store with the order, the
result, and the ingredient lots picked from stock (released, unexpired lots only).

The capsule and liquid pages call :func:`save_as_batch` once, under their result. A lot must agree with the
calculation it is recorded against: the API lot's potency, salt form and potency basis (what its potency is
the content of, :mod:`compounding.drug`) are the ones calculated with, the BUD does not pass any lot's expiry,
a filler lot is the filler calculated with. A disagreement is refused
with what to change (recalculate with the lot's figures) rather than saved.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import streamlit as st

from app_pages import _records as rec
from app_pages import _widgets as w
from app_pages._drug_form import BASES

P = "rec.save"
ORDER_KEYS = {"capsules": ("formula", "source", "strength", "capsules_ordered", "extra", "api_form", "potency",
                           "potency_basis", "capsule_size", "filler", "method", "balance", "compounding_date"),
              "oral_liquid": ("formula", "source", "concentration", "final_volume", "vehicle", "tablets_to_use",
                              "api_form", "potency", "potency_basis", "balance", "compounding_date")}
# the kinds of lot a batch of each source draws on, in the order they are offered
LOT_KINDS = {("capsules", "api"): ("api", "filler"), ("capsules", "tablets"): ("tablets", "filler"),
             ("oral_liquid", "api"): ("api", "vehicle"), ("oral_liquid", "tablets"): ("tablets", "vehicle")}
FORM_PREFIX = {"capsules": "cap", "oral_liquid": "liq"}  # the calculation form's keys on each page
KIND_LABEL = {"api": "API powder lot", "tablets": "50 mg tablet lot", "filler": "Filler lot", "vehicle": "Vehicle lot"}


def order_of(kind: str, result_dict: dict[str, Any]) -> dict[str, Any]:
    """The order as the calculation read it (from the result itself, so the two cannot disagree)."""
    order = {k: result_dict[k] for k in ORDER_KEYS[kind] if result_dict.get(k) is not None}
    if isinstance(order.get("formula"), dict):
        order["formula"] = order["formula"].get("id")
    return order


def lot_mismatches(result: Any, lots: list[Any]) -> list[str]:
    """Why these lots do not fit this calculation (empty: they fit)."""
    problems = []
    for lot in lots:
        name = f"{KIND_LABEL[lot.kind]} {lot.supplier_lot}"
        if lot.expiry < result.bud.date:
            problems.append(f"{name} expires on {lot.expiry.isoformat()}, before the BUD {result.bud.date.isoformat()}"
                            ": enter that date as the earliest expiry and calculate again")
        if lot.kind == "api":
            lot_potency = Fraction(lot.potency.to("percent").magnitude) / 100
            if result.potency is None or Fraction(result.potency) != lot_potency:
                used = "no potency correction" if result.potency is None else f"{float(result.potency) * 100:g}%"
                problems.append(f"{name} has an as-is potency of {rec.q(lot.potency)}; the calculation used {used}"
                                ": enter the lot's potency and calculate again")
            if lot.salt_form != getattr(result, "api_form", None):
                problems.append(f"{name} is {lot.salt_form}; the calculation used {result.api_form}")
            elif result.potency is not None and _lot_basis(lot) != result.potency_basis:
                problems.append(_basis_mismatch(name, lot, result.potency_basis))
        if lot.kind == "filler" and lot.material != getattr(result, "filler", None):
            problems.append(f"{name} is {lot.material}; the calculation used {result.filler}")
    return problems


def _lot_basis(lot: Any) -> str:
    """The form the lot's potency is the content of (none on the lot: its anhydrous salt, compounding.drug)."""
    from compounding.reference import reference

    return lot.potency_basis or reference().forms[lot.salt_form].anhydrous_form


def _basis_choice(lot: Any) -> str:
    """The "Potency is the content of" choice (a key of ``BASES``) that calculates with the lot's basis."""
    from compounding.reference import reference

    return "anhydrous" if _lot_basis(lot) == reference().forms[lot.salt_form].anhydrous_form else "as_weighed"


def _basis_mismatch(name: str, lot: Any, used: str | None) -> str:
    from compounding.reference import reference

    forms = reference().forms
    return (f"{name}'s potency is the content of {forms[_lot_basis(lot)].name}; the calculation took the potency "
            f"as the content of {forms[used].name if used in forms else used}: set “{w.field_label('potency_basis')}” "
            f"to “{BASES[_basis_choice(lot)]}” and calculate again")


def _use_lot(kind: str, lot: Any) -> None:
    """Callback: the API lot's potency, salt form, potency basis and expiry into the calculation form (no retyping);
    the result shown goes, since it was calculated from other figures."""
    s, prefix = st.session_state, FORM_PREFIX[kind]
    from compounding.store.columns import fraction_text

    text = fraction_text(Fraction(lot.potency.to("percent").magnitude))  # exact: "99.5", "99.125"
    if "/" in text:  # a potency derived from assay and water need not be a finite decimal
        rec.notice("error", f"Lot {lot.supplier_lot}: its potency {rec.q(lot.potency)} is not a decimal the form "
                            "takes; type it in.")
        return
    # quantities are typed as text (the app's convention); an older number box would keep a number
    as_text = not isinstance(s.get(f"{prefix}.potency"), (int, float))
    s[f"{prefix}.potency"] = text if as_text else float(text)
    for key in (f"{prefix}.assay", f"{prefix}.water"):
        s[key] = "" if as_text else None
    s[f"{prefix}.api_form"] = lot.salt_form
    s[f"{prefix}.potency_basis"] = _basis_choice(lot)
    earliest = s.get(f"{prefix}.expiry")
    s[f"{prefix}.expiry"] = lot.expiry if earliest is None else min(earliest, lot.expiry)
    s.pop(f"{prefix}.result", None)
    s[f"{P}.{kind}.preferred.api"] = lot.id  # chosen again in the save box under the new result
    rec.notice("info", f"Potency {rec.q(lot.potency)}, potency basis, salt form and expiry of lot {lot.supplier_lot} entered: "
                       "press Calculate, then save.")


def _save(kind: str, result: Any, lots: list[Any]) -> None:
    problems = lot_mismatches(result, lots)
    if problems:
        rec.notice("error", "Not saved: " + "; ".join(problems) + ".")
        return
    result_dict = result.as_dict()
    # the core's order (stored as its JSON {"kind", "fields"}, defaults filled in): the store calculates it
    # again (Excel export, fill-weight learning) and gets this very result
    order = getattr(result, "order", None) or order_of(kind, result_dict)
    view = rec.act(lambda s, u: s.create_batch(u, kind=kind, order=order, result=result_dict,
                                               ingredient_lots=[x.id for x in lots]),
                   lambda b: f"Saved as draft batch {b.lot_number}: open it on the Batches page to start "
                             "preparing and enter the actual weights.")
    if view is not None:
        st.session_state["rec.open"] = view.lot_number


def save_as_batch(kind: str, result: Any) -> None:
    """The "Save as batch" box under a result (``kind``: "capsules" or "oral_liquid")."""
    st.markdown("#### Save as batch")
    u = rec.user()
    if not u:
        st.caption("Sign in to save this calculation as a batch record with its own lot number.")
        st.page_link("app_pages/sign_in.py", label="Sign in", icon=":material/login:")
        return
    if u["role"] not in ("technician", "pharmacist"):
        st.caption(f"A {u['role']} does not prepare batches.")
        return
    stock = rec.store().ingredient_lots(status="released")
    today = result.compounding_date
    with st.form(f"{P}.{kind}.form", border=True, enter_to_submit=False):
        st.caption("A draft batch with a new lot number, this order and result, and the lots you pick "
                   "(released and unexpired; more can be added on the Batches page while it is prepared).")
        chosen = []
        cols = st.columns(2)
        for col, lot_kind in zip(cols, LOT_KINDS[(kind, result.source)]):
            options = [x for x in stock if x.kind == lot_kind and x.expiry >= today]
            preferred = st.session_state.get(f"{P}.{kind}.preferred.{lot_kind}")
            index = next((i for i, x in enumerate(options) if x.id == preferred), None)
            with col:
                pick = st.selectbox(KIND_LABEL[lot_kind], options, index=index, format_func=rec.lot_label,
                                    key=f"{P}.{kind}.{lot_kind}", placeholder="none")
            if pick is not None:
                chosen.append(pick)
        if st.form_submit_button("Save as batch", type="primary", key=f"{P}.{kind}.save", icon=":material/save:"):
            _save(kind, result, chosen)
            st.rerun()
    api = st.session_state.get(f"{P}.{kind}.api")
    if api is not None and lot_mismatches(result, [api]):
        st.button(f"Use lot {api.supplier_lot}'s potency, potency basis, salt form and expiry in the calculation",
                  key=f"{P}.{kind}.use_lot", on_click=_use_lot, args=(kind, api),
                  icon=":material/input:")
    if st.session_state.get("rec.open"):
        st.page_link("app_pages/batches.py", label=f"Open {st.session_state['rec.open']} on the Batches page",
                     icon=":material/inventory_2:")
