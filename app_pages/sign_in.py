"""Sign in to the batch records (and sign out). The calculator pages need no sign-in."""

import streamlit as st

from app_pages import _records as rec

P = "rec.login"


def _submit() -> None:
    s = st.session_state
    rec.sign_in(s.get(f"{P}.username") or "", s.get(f"{P}.password") or "")


u = rec.user()
st.title("Account" if u else "Sign in")
if u:
    st.markdown(f"Signed in as **{u['name']}** (`{u['username']}`, {u['role']}).")
    st.caption(f"You are signed out after {rec.idle_minutes():g} minutes without activity, and when the browser "
               "page is reloaded.")
    with st.container(horizontal=True):
        st.page_link("app_pages/batches.py", label="Batches", icon=":material/inventory_2:")
        if u["role"] == "pharmacist":
            st.page_link("app_pages/review.py", label="Review", icon=":material/rule:")
        st.page_link("app_pages/stock.py", label="Stock", icon=":material/warehouse:")
        st.page_link("app_pages/recall.py", label="Recall", icon=":material/report:")
        if u["role"] == "admin":
            st.page_link("app_pages/users.py", label="Users", icon=":material/group:")
    st.button("Sign out", key=f"{P}.sign_out", on_click=rec.sign_out, icon=":material/logout:")
else:
    st.caption("The batch records (batches, review, stock, recall) need a user of this pharmacy's store. "
               "The first administrator is created on the command line: "
               "`python -m compounding users add --role admin …`.")
    with st.form(f"{P}.form", border=True, enter_to_submit=True, clear_on_submit=True):  # the password goes
        st.text_input("User name", key=f"{P}.username", autocomplete="username")
        st.text_input("Password", key=f"{P}.password", type="password", autocomplete="current-password")
        st.form_submit_button("Sign in", type="primary", on_click=_submit, key=f"{P}.submit",
                              icon=":material/login:")
