"""One batch on screen (Batches and Review pages): its record, ingredient lots, actual weights with
verdicts, allocations, signatures and history; below them the steps the signed-in user may take.

Buttons follow the role (a technician sees no release), but each one calls the service, which
checks role, state and second person again; its refusal is shown and nothing changes.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import streamlit as st

from app_pages import _records as rec
from app_pages import _widgets as w
from compounding.capsules import recalculate
from compounding.errors import CompoundingError
from compounding.store.batches import actual_weighings, planned_weighing
from compounding.store.calculate import calculate
from compounding.units import Q

P = "rec.batch"
# The weighed amounts of a stored result that take an actual weight, in bench order, with their labels.
WEIGHED = {"api_to_weigh": "Naltrexone HCl powder", "tablet_powder_to_weigh": "Tablet powder",
           "filler_to_weigh": "Filler", "blend_total": "Blend total",
           "fill_weight_per_capsule": "Average capsule fill weight"}
PRE_RELEASE = ("draft", "in_preparation", "ready_for_review", "verified")
ORDER_FIELDS = ("formula", "source", "strength", "capsules_ordered", "extra", "concentration", "final_volume",
                "tablets", "api_form", "potency", "capsule_size", "filler", "vehicle", "compounding_date")


def weighed_steps(result: dict[str, Any]) -> dict[str, str]:
    """The steps of this result that can take an actual weight (a mass the calculation gave)."""
    return {k: v for k, v in WEIGHED.items()
            if isinstance(result.get(k), dict) and result[k].get("unit") in ("mg", "g", "mcg", "µg")}


def _value(v: Any) -> str:
    if isinstance(v, dict) and "value" in v and "unit" in v:
        return f"{w.fn(v['value'], 4)} {v['unit']}"
    if isinstance(v, dict) and "id" in v:
        return f"{v.get('name', '')} [{v['id']} v{v.get('version', '?')}]"
    if isinstance(v, dict) and "date" in v:
        return str(v["date"])
    return "—" if v is None else str(v)


def _target_help(result: dict[str, Any], step: str) -> str:
    """One target: what the weighing plan told the bench to weigh; the exact amount only as "calculated"."""
    plan = planned_weighing(result, step)
    if plan is None:
        return f"Target {_mass_text(result[step])}"
    return f"Target {_mass_text(plan)} (the weighing plan, at the balance's readability); " \
        f"calculated {_mass_text(result[step])}"


def _mass_text(v: Any) -> str:
    """A stored JSON mass as every screen shows a quantity (the one display rule)."""
    if not (isinstance(v, dict) and isinstance(v.get("value"), (int, float))):
        return _value(v)
    return rec.q(Q(Fraction(repr(v["value"])), v["unit"].replace("µg", "mcg")))


def _recalculated(b) -> None:
    """Drug per capsule recalculated by the core from the recorded weights of the weighing plan."""
    actual = actual_weighings(b.result, b.weights)
    if b.kind != "capsules" or not actual:
        return
    try:
        again = recalculate(calculate(b.kind, b.order), actual).actual
    except CompoundingError as exc:
        st.caption(f"Not recalculated from the actual weights: {exc}")
        return
    st.caption(f"Recalculated from the actual weights: {w.fn(again.drug_per_capsule.to('mg/capsule').magnitude, 4)} mg "
               f"per capsule ({w.fn(again.percent_of_target.to('percent').magnitude, 1)}% of the strength)"
               + ("" if again.within_limits else " — OUTSIDE its limits: " + "; ".join(again.reasons)))


def _short(v: Any) -> str:
    return "" if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True)[:200]


def show(b, history) -> None:
    """Everything recorded about batch ``b`` (a BatchView) and its audit events."""
    st.subheader(f"{b.lot_number} · {b.kind.replace('_', ' ')} {b.strength} · {rec.STATUS_TEXT.get(b.status)}")
    st.caption(f"Prepared by {b.preparer}" + (f" · verified by {b.verifier}" if b.verifier else "")
               + (f" · amends {b.amends}" if b.amends else "") + f" · created {rec.when(b.created_at)}"
               + (f" · reason: {b.status_reason}" if b.status_reason else ""))
    st.markdown("#### Record")
    w.table([{"Item": k.replace("_", " "), "Value": _value(b.result.get(k))} for k in ORDER_FIELDS
             if b.result.get(k) is not None]
            + [{"Item": "record hash", "Value": b.record_hash[:16] + "…"},
               {"Item": "engine / reference data", "Value": f"{b.engine_version} / {b.reference_hash[:12]}…"}])
    st.markdown("#### Ingredient lots")
    if b.ingredient_lots:
        w.table([rec.lot_row(x) for x in b.ingredient_lots])
    else:
        st.caption("No ingredient lot recorded.")
    st.markdown("#### Actual weights")
    if b.weights:
        w.table([{"Step": WEIGHED.get(x.step, x.step), "Target (weigh)": rec.q(x.target),
                  "Calculated": _mass_text(b.result.get(x.step)), "Actual": rec.q(x.actual),
                  "Tolerance": rec.q(x.tolerance), "Verdict": x.verdict.upper() if x.verdict != "within"
                  else "within", "Recorded": rec.when(x.recorded_at)} for x in b.weights])
        _recalculated(b)
    else:
        st.caption("No actual weight entered yet.")
    if getattr(b, "capsule_weights", ()):
        nets = b.capsule_weights
        st.markdown(f"#### Capsule weights ({len(nets)} weighed, net of the shell)")
        st.caption(" · ".join(rec.q(x) for x in nets) + f" · mean {rec.q(sum(nets[1:], nets[0]) / len(nets))}")
    if b.allocations:
        st.markdown("#### Allocations")
        w.table([{"For": "anticipatory stock" if a.anticipatory else a.patient, "Rx": a.rx_number or "—",
                  "Prescriber": a.prescriber or "—", "Quantity": str(a.quantity)} for a in b.allocations])
    st.markdown("#### Signatures")
    if b.signatures:
        w.table([{"Meaning": s.meaning, "Signed by": s.printed_name, "At": rec.when(s.signed_at),
                  "Signed hash": s.signed_hash[:16] + "…"} for s in b.signatures])
    else:
        st.caption("Not signed yet.")
    _excel(b)
    with st.expander(f"History ({len(history)} events, append-only)"):
        w.table([{"#": str(e.seq), "At": rec.when(e.at), "Who": e.actor, "What": e.action.replace("_", " "),
                  "Old": _short(e.old_value), "New": _short(e.new_value), "Reason": e.reason or ""}
                 for e in history])


def _excel(b) -> None:
    """The batch's Excel record from the store (rebuilt from the stored order; refused if that no longer
    gives the stored result): built on request, since it recalculates the batch."""
    from compounding.errors import CompoundingError

    key = f"{P}.excel.{b.lot_number}.{b.updated_at.isoformat()}"
    if st.button("Excel batch record", key=f"{P}.excel", icon=":material/table_view:"):
        try:
            st.session_state[key] = rec.store().export_batch(b.lot_number)
        except CompoundingError as exc:
            st.error(rec.refusal_text(exc), icon=":material/error:")
    if key in st.session_state:
        st.download_button(f"Download {b.lot_number}.xlsx", data=st.session_state[key],
                           file_name=f"{b.lot_number}.xlsx", key=f"{P}.excel_download", on_click="ignore",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _done(lot: str, what: str):
    return lambda view: f"{lot}: {what} (now {rec.STATUS_TEXT.get(view.status, view.status)})."


def actions(b, user: dict[str, Any]) -> None:
    """The steps this user may take on ``b``, by role and state (the service checks again)."""
    mine = b.preparer == user["username"]
    if user["role"] in ("technician", "pharmacist") and mine and b.status in ("draft", "in_preparation"):
        _preparer_actions(b)
    if user["role"] == "pharmacist":
        _pharmacist_actions(b)


def _preparer_actions(b) -> None:
    st.markdown("#### Preparation")
    lot = b.lot_number
    if b.status == "draft":
        if st.button("Start preparation", key=f"{P}.start", type="primary", icon=":material/play_arrow:"):
            rec.act(lambda s, u: s.start_preparation(u, lot), _done(lot, "preparation started"))
            st.rerun()
    _weights_form(b)
    if b.kind == "capsules":
        _capsule_weights_form(b)
    _add_lot_form(b)
    _allocate_form(b)
    if b.status == "in_preparation":
        with st.form(f"{P}.submit_form", border=True, enter_to_submit=False, clear_on_submit=True):
            st.markdown("**Submit for review** (your signature: prepared)")
            pw = st.text_input("Your password (signs as prepared)", key=f"{P}.submit_pw", type="password")
            if st.form_submit_button("Submit for review", key=f"{P}.submit", icon=":material/send:"):
                rec.act(lambda s, u: s.submit_for_review(u, lot, password=pw), _done(lot, "submitted for review"))
                st.rerun()


def _weights_form(b) -> None:
    steps = weighed_steps(b.result)
    if not steps:
        return
    lot = b.lot_number
    with st.form(f"{P}.weights_form", border=True, enter_to_submit=False):
        st.markdown("**Actual weights** (as the balance showed them, with the unit: `407 mg`, `7.69 g`)")
        cols, typed = st.columns(3), {}
        for i, (step, label) in enumerate(steps.items()):
            with cols[i % 3]:
                typed[step] = st.text_input(f"Actual: {label}", key=f"{P}.w.{step}",
                                            help=_target_help(b.result, step)).strip()
        tol = st.text_input("Tolerance (% of the target, as your SOP sets it, e.g. 5%)", key=f"{P}.w.tolerance")
        if st.form_submit_button("Record weights", key=f"{P}.weights", icon=":material/scale:"):
            for step, actual in typed.items():
                if actual and rec.act(lambda s, u: s.record_weight(u, lot, step=step, actual=actual, tolerance=tol),
                                      lambda v: f"{lot}: actual weights recorded.") is None:
                    break  # the refusal names the field; later weights wait for the fix
            st.rerun()


def _capsule_weights_form(b) -> None:
    lot = b.lot_number
    with st.form(f"{P}.capsules_form", border=True, enter_to_submit=False):
        st.markdown("**Capsule weights** (the weight check: each filled capsule, as the balance printed it)")
        c = st.columns([3, 1])
        weights = c[0].text_area("Capsule weights (one per line; a bare number is mg)", key=f"{P}.c.weights",
                                 height=100)
        shell = c[1].text_input("Empty shell (optional), e.g. 76 mg", key=f"{P}.c.shell")
        if st.form_submit_button("Record capsule weights", key=f"{P}.capsules", icon=":material/scale:"):
            rec.act(lambda s, u: s.record_capsule_weights(u, lot, weights, shell=shell.strip() or None),
                    lambda v: f"{lot}: {len(v.capsule_weights)} capsule weights recorded.")
            st.rerun()


def _add_lot_form(b) -> None:
    used = {x.id for x in b.ingredient_lots}
    lots = [x for x in rec.store().ingredient_lots(status="released") if x.id not in used]
    if not lots:
        return
    lot = b.lot_number
    with st.form(f"{P}.lot_form", border=True, enter_to_submit=False):
        choice = st.selectbox("Add an ingredient lot (released lots only)", lots, index=None,
                              format_func=rec.lot_label, key=f"{P}.add_lot")
        if st.form_submit_button("Add lot", key=f"{P}.add_lot_button", icon=":material/add:") and choice:
            rec.act(lambda s, u: s.add_ingredient_lot_to_batch(u, lot, choice.id),
                    f"{lot}: ingredient lot {choice.supplier_lot} recorded.")
            st.rerun()


def _allocate_form(b) -> None:
    lot, form = b.lot_number, f"{P}.alloc_form"
    keys = tuple(f"{P}.a.{k}" for k in ("patient", "rx", "prescriber", "quantity", "stock"))
    rec.clear_form(form, keys)
    with st.form(form, border=True, enter_to_submit=False):
        st.markdown("**Allocate** to a prescription, or hold as anticipatory stock")
        c = st.columns([3, 2, 3, 1, 2], vertical_alignment="bottom")
        patient = c[0].text_input(w.field_label("patient"), key=keys[0])
        rx = c[1].text_input("Rx number", key=keys[1])
        prescriber = c[2].text_input(w.field_label("prescriber"), key=keys[2])
        quantity = c[3].text_input("Quantity", key=keys[3])
        stock = c[4].checkbox("Anticipatory stock", key=keys[4])
        if st.form_submit_button("Allocate", key=f"{P}.allocate", icon=":material/assignment_ind:"):
            done = rec.act(lambda s, u: s.allocate(u, lot, quantity=quantity.strip(), patient=patient.strip() or None,
                                                   rx_number=rx.strip() or None,
                                                   prescriber=prescriber.strip() or None, anticipatory=stock),
                           f"{lot}: allocated.")
            rec.submitted(form, done, keys)
            st.rerun()


def _signed_step(b, name: str, label: str, meaning: str) -> None:
    lot = b.lot_number
    with st.form(f"{P}.{name}_form", border=True, enter_to_submit=False, clear_on_submit=True):
        pw = st.text_input(f"Your password (signs as {meaning})", key=f"{P}.{name}_pw", type="password")
        if st.form_submit_button(label, key=f"{P}.{name}", type="primary"):
            rec.act(lambda s, u: getattr(s, name)(u, lot, password=pw), _done(lot, meaning))
            st.rerun()


def _reason_step(b, name: str, label: str, done: str) -> None:
    lot = b.lot_number
    with st.form(f"{P}.{name}_form", border=True, enter_to_submit=False):
        reason = st.text_input(f"Reason to {label.lower()}", key=f"{P}.{name}_reason")
        if st.form_submit_button(label, key=f"{P}.{name}"):
            rec.act(lambda s, u: getattr(s, name)(u, lot, reason=reason), _done(lot, done))
            st.rerun()


def _fill_weight(b) -> None:
    """The filler lot's fill weight learned from this released batch's capsule weights: proposed by the
    store, approved (or not) by a pharmacist; the audit trail records it."""
    from compounding.errors import CompoundingError

    try:
        p = rec.store().propose_fill_weight(b.lot_number)
    except CompoundingError as exc:
        st.caption(f"No fill weight to learn from this batch: {exc}")
        return
    st.markdown("#### Filler fill weight learned from this batch")
    st.caption(f"Filler lot {p.filler_lot}, size {p.capsule_size}: {p.capsules_weighed} capsules, mean net fill "
               f"{rec.q(p.mean_net_fill)}; {p.method}. Now {rec.q(p.current)}; proposed **{rec.q(p.proposed)}**.")
    lot = b.lot_number
    with st.form(f"{P}.fill_form", border=True, enter_to_submit=False):
        reason = st.text_input("Note (optional)", key=f"{P}.fill_reason")
        if st.form_submit_button(f"Approve {rec.q(p.proposed)} for filler lot {p.filler_lot}", key=f"{P}.fill"):
            rec.act(lambda s, u: s.approve_fill_weight(u, lot, reason=reason or None),
                    f"Filler lot {p.filler_lot}: fill weight in size {p.capsule_size} is now {rec.q(p.proposed)}.")
            st.rerun()


def _pharmacist_actions(b) -> None:
    steps = []
    if b.status == "ready_for_review":
        steps += [("signed", "verify", "Verify", "verified"), ("reason", "send_back", "Send back", "sent back")]
    if b.status in ("verified", "quarantined") and b.verifier:
        steps.append(("signed", "release", "Release", "released"))
    if b.status in PRE_RELEASE:
        steps.append(("reason", "quarantine", "Quarantine", "quarantined"))
    if b.status in (*PRE_RELEASE, "quarantined"):
        steps.append(("reason", "scrap", "Scrap", "scrapped"))
    if b.status == "released":
        steps.append(("reason", "recall", "Recall", "recalled"))
    if b.status == "released" and b.kind == "capsules" and getattr(b, "capsule_weights", ()) and \
            sum(x.kind == "filler" for x in b.ingredient_lots) == 1:
        _fill_weight(b)
    if not steps:
        return
    st.markdown("#### Pharmacist review")
    cols = st.columns(min(len(steps), 3))
    for i, (how, name, label, done) in enumerate(steps):
        with cols[i % len(cols)]:
            (_signed_step if how == "signed" else _reason_step)(b, name, label, done)
