"""Recall page: pick an ingredient lot, see every batch that used it, download the list as an Excel workbook.
Pharmacists can also recall the released batches on the list (with a reason)."""

import streamlit as st

from app_pages import _records as rec

P = "rec.recall"


def _recall_released(batches) -> None:
    released = [b.lot_number for b in batches if b.status == "released"]
    if not released:
        return
    with st.form(f"{P}.form", border=True, enter_to_submit=False):
        st.markdown(f"**Recall the {len(released)} released batch(es) on this list**")
        reason = st.text_input("Reason for the recall", key=f"{P}.reason")
        if st.form_submit_button("Recall released batches", key=f"{P}.recall", icon=":material/report:"):
            done = [lot for lot in released
                    if rec.act(lambda s, u: s.recall(u, lot, reason=reason), f"{lot} recalled.") is not None]
            if len(done) == len(released):
                rec.notice("success", f"Recalled {len(done)} batch(es): {', '.join(done)}.")
            st.rerun()


u = rec.require()
st.title("Recall")
st.caption("Every batch that used an ingredient lot, whatever its status, newest first.")
lots = rec.store().ingredient_lots()
lot = st.selectbox("Ingredient lot", lots, index=None, format_func=rec.lot_label, key=f"{P}.lot",
                   placeholder="choose the lot to trace")
if lot is not None:
    batches = rec.store().batches_using_lot(lot.id)[::-1]  # newest first
    st.markdown(f"**{len(batches)} batch(es)** used {lot.supplier} lot {lot.supplier_lot} ({lot.material}).")
    if batches:
        rec.batch_list(batches)
        st.download_button("Recall list (Excel)", data=lambda: rec.store().export_recall(lot.id),
                           file_name=f"recall-{lot.supplier_lot.replace(' ', '_').replace('/', '_')}.xlsx",
                           key=f"{P}.download", on_click="ignore", icon=":material/table_view:",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        if u["role"] == "pharmacist":
            _recall_released(batches)
