"""Users page (administrators): the store's users; add one; deactivate one (with a reason). Users are never
deleted: their names stay on the records they signed."""

import streamlit as st

from app_pages import _records as rec
from app_pages import _widgets as w
from compounding.store.models import ROLES

P = "rec.users"

rec.require("admin")
st.title("Users")
users = rec.store().users()
w.table([{"User name": x.username, "Name": x.name, "Initials": x.initials, "Role": x.role,
          "Active": "yes" if x.active else "no"} for x in users])

st.markdown("#### Add a user")
ADD_KEYS = tuple(f"{P}.{k}" for k in ("username", "name", "initials", "role", "password"))
rec.clear_form(f"{P}.add_form", ADD_KEYS)
with st.form(f"{P}.add_form", border=True, enter_to_submit=False):
    c = st.columns(5)
    username = c[0].text_input("User name", key=f"{P}.username")
    name = c[1].text_input("Printed name", key=f"{P}.name")
    initials = c[2].text_input("Initials", key=f"{P}.initials")
    role = c[3].selectbox("Role", ROLES, key=f"{P}.role")
    password = c[4].text_input("First password", key=f"{P}.password", type="password")
    if st.form_submit_button("Add user", type="primary", key=f"{P}.add", icon=":material/person_add:"):
        added = rec.act(lambda s, me: s.add_user(me, username=username, name=name, initials=initials, role=role,
                                                 password=password), lambda v: f"User {v.username} ({v.role}) added.")
        rec.submitted(f"{P}.add_form", added, ADD_KEYS, passwords=(f"{P}.password",))
        st.rerun()

active = [x for x in users if x.active]
st.markdown("#### Deactivate a user")
with st.form(f"{P}.deactivate_form", border=True, enter_to_submit=False):
    who = st.selectbox("User", [x.username for x in active], index=None, key=f"{P}.who", placeholder="choose")
    reason = st.text_input("Reason", key=f"{P}.reason")
    if st.form_submit_button("Deactivate", key=f"{P}.deactivate", icon=":material/person_off:") and who:
        rec.act(lambda s, me: s.deactivate_user(me, who, reason=reason), f"User {who} deactivated.")
        st.rerun()
