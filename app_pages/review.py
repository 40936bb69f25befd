"""Review page (pharmacists): batches waiting for verification or release; verify or release (your
password again), send back or quarantine or scrap (with a reason). A second person verifies: the service
refuses the batch's own preparer, whatever this page shows."""

import streamlit as st

from app_pages import _batch_view as bv
from app_pages import _records as rec

P = "rec.review"
QUEUES = {"ready_for_review": "Ready for review", "verified": "Verified, waiting for release",
          "quarantined": "Quarantined"}
QUEUE_SIZE = 50


u = rec.require("pharmacist")
st.title("Review")
store = rec.store()
waiting = []
for status, label in QUEUES.items():
    page = store.search_batches(status=status, page=1, page_size=QUEUE_SIZE)
    st.markdown(f"#### {label}: {page.total}")
    if page.items:
        if page.total > len(page.items):
            st.caption(f"The newest {len(page.items)} are shown: search the Batches page by status to page "
                       "through all.")
        rec.batch_list(page.items)
        waiting += [b.lot_number for b in page.items]
if not waiting:
    st.success("Nothing is waiting for a pharmacist.", icon=":material/check:")
else:
    chosen = st.selectbox("Review a batch", waiting, index=None, key=f"{P}.open",
                          placeholder="choose a lot number")
    if chosen:
        batch = store.batch(chosen)
        bv.show(batch, store.history(chosen))
        bv.actions(batch, u)
