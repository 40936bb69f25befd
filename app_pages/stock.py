"""Stock page: the pharmacy's ingredient lots (API powder, 50 mg tablets, fillers, vehicles); receive a lot
(it waits in quarantine), and, for pharmacists, release or reject it. Quantities are typed with their
unit or % sign and read by the core's parser, like every quantity in the app."""

import streamlit as st

from app_pages import _records as rec
from app_pages import _widgets as w
from compounding.store.models import LOT_KINDS, LOT_STATUSES

P = "rec.stock"
KINDS = {"api": "API powder", "tablets": "50 mg tablets", "filler": "Filler", "vehicle": "Vehicle"}
MATERIAL = {"api": "naltrexone hydrochloride", "tablets": "naltrexone hydrochloride 50 mg tablets", "vehicle": ""}


def _fields(kind: str) -> dict:
    """The receive form's fields for this kind of lot; returns what the service is given."""
    ref = w.reference()
    c = st.columns(4)
    with c[0]:
        if kind == "filler":
            material = st.selectbox("Filler", list(ref.fillers), key=f"{P}.r.filler",
                                    format_func=lambda k: ref.fillers[k].name)
        else:
            material = st.text_input("Material", value=MATERIAL[kind], key=f"{P}.r.material.{kind}")
    with c[1]:
        supplier = st.text_input("Supplier", key=f"{P}.r.supplier")
    with c[2]:
        supplier_lot = st.text_input("Supplier lot", key=f"{P}.r.supplier_lot")
    with c[3]:
        expiry = st.date_input("Expiry", value=None, key=f"{P}.r.expiry", format="YYYY-MM-DD")
    fields = dict(kind=kind, material=material, supplier=supplier, supplier_lot=supplier_lot,
                  expiry=w.date_text(expiry))
    c = st.columns(4)
    if kind == "api":
        with c[0]:
            fields["salt_form"] = st.selectbox("Salt form", list(ref.forms), key=f"{P}.r.salt_form",
                                               format_func=lambda k: ref.forms[k].name)
        with c[1]:
            fields["potency"] = st.text_input("As-is potency (certificate), e.g. 99.5%", key=f"{P}.r.potency")
        with c[2]:
            fields["assay"] = st.text_input("or assay (anhydrous basis), e.g. 99.2%", key=f"{P}.r.assay")
        with c[3]:
            fields["water"] = st.text_input("and water, e.g. 0.4%", key=f"{P}.r.water")
    elif kind == "tablets":
        with c[0]:
            fields["tablet_weight"] = st.text_input("Average tablet weight, e.g. 150.5 mg", key=f"{P}.r.tablet")
    elif kind == "filler":
        with c[0]:
            size = st.selectbox("Capsule size of the fill weight", list(ref.capsule_sizes), key=f"{P}.r.size")
        with c[1]:
            fill = st.text_input("Measured fill weight (optional), e.g. 270 mg", key=f"{P}.r.fill")
        fields["fill_weights"] = {size: fill} if fill.strip() else {}
    return fields


def _receive() -> None:
    st.markdown("#### Receive a lot")
    kind = st.radio("Kind", list(KINDS), format_func=KINDS.get, horizontal=True, key=f"{P}.r.kind")
    with st.form(f"{P}.receive_form", border=True, enter_to_submit=False):
        fields = _fields(kind)
        if st.form_submit_button("Receive (into quarantine)", type="primary", key=f"{P}.receive",
                                 icon=":material/move_to_inbox:"):
            fields = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}  # blank: not given
            rec.act(lambda s, u: s.receive_ingredient_lot(u, **fields),
                    lambda lot: f"Lot {lot.supplier_lot} received: quarantined until a pharmacist releases it.")
            st.rerun()


def _decide(lots) -> None:
    waiting = [x for x in lots if x.status == "quarantined"]
    st.markdown("#### Release or reject a quarantined lot")
    if not waiting:
        st.caption("No lot is in quarantine.")
        return
    with st.form(f"{P}.decide_form", border=True, enter_to_submit=False):
        lot = st.selectbox("Lot", waiting, format_func=rec.lot_label, key=f"{P}.d.lot")
        reason = st.text_input("Reason (needed to reject)", key=f"{P}.d.reason")
        c = st.columns(2)
        release = c[0].form_submit_button("Release lot", type="primary", key=f"{P}.release")
        reject = c[1].form_submit_button("Reject lot", key=f"{P}.reject")
        if (release or reject) and lot is not None:
            if release:
                rec.act(lambda s, u: s.release_ingredient_lot(u, lot.id, reason=reason or None),
                        f"Lot {lot.supplier_lot} released: it can be used.")
            else:
                rec.act(lambda s, u: s.reject_ingredient_lot(u, lot.id, reason=reason),
                        f"Lot {lot.supplier_lot} rejected.")
            st.rerun()


u = rec.require()
st.title("Stock")
c = st.columns(2)
kind = c[0].selectbox("Kind", LOT_KINDS, index=None, format_func=KINDS.get, placeholder="all", key=f"{P}.kind")
status = c[1].selectbox("Status", LOT_STATUSES, index=None, placeholder="all", key=f"{P}.status")
lots = rec.store().ingredient_lots(kind=kind, status=status)
if lots:
    w.table([rec.lot_row(x) for x in lots])
else:
    st.caption("No ingredient lot matches.")
if u["role"] in ("technician", "pharmacist"):
    _receive()
if u["role"] == "pharmacist":
    _decide(rec.store().ingredient_lots(status="quarantined"))
